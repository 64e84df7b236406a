"""The one contract both writers fill: what a brief, a draft and an objection answer contain."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

from pydantic import BaseModel, Field


class ObjectionLine(BaseModel):
    """A likely objection and the answer to give, for the call-prep brief."""

    objection: str = Field(description="What the customer might say")
    answer: str = Field(description="How to answer it, grounded in the account's facts")


class Brief(BaseModel):
    """A one-page call-prep brief, for the CSM's eyes only (English)."""

    summary: str = Field(description="One or two sentences: the purpose of this call")
    research: list[str] = Field(description="Recent interactions, sentiment, stakeholder to engage")
    objectives: list[str] = Field(description="Two or three call objectives")
    questions: list[str] = Field(description="Exactly five discovery questions tied to the signals")
    value_points: list[str] = Field(description="Value talking points with the numbers from the facts")
    objections: list[ObjectionLine] = Field(description="Two or three likely objections with answers")
    cultural_notes: list[str] = Field(description="How to run the conversation in this country")
    success_criteria: list[str] = Field(description="How the CSM knows the call went well")


class Draft(BaseModel):
    """A message to the customer, ready to forward as is."""

    subject: str = Field(default="", description="Email subject line; empty for WhatsApp and Slack")
    body: str = Field(description="The message body, in the requested language")


class ObjectionAnswer(BaseModel):
    """An answer to a customer's objection, in the customer's language."""

    acknowledge: str = Field(description="Acknowledge the objection without pressure")
    diagnose: list[str] = Field(description="One to three questions that find the real reason")
    evidence: list[str] = Field(description="The account's own value evidence, with its numbers")
    options: list[str] = Field(description="Flexible options: only catalog offers and non-price levers")
    next_step: str = Field(description="One patient, concrete next step")
    message: str = Field(description="The whole answer as one short chat message to send")


Output = TypeVar("Output", Brief, Draft, ObjectionAnswer)


@dataclass(frozen=True)
class Written(Generic[Output]):
    """What a writer returns: the output, which writer produced it, and why the model did not."""

    output: Output
    writer: str  # offline | llm
    reason: str = ""  # set when the offline writer answered for a failed model call

    def contract(self) -> dict[str, str]:
        """The JSON contract's writer fields."""
        out = {"writer": self.writer}
        if self.reason:
            out["writer_reason"] = self.reason
        return out
