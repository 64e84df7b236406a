"""WhatsApp through Twilio: the signed webhook, the one renderer of a Reply, and the outbox sender."""
