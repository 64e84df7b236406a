"""Local stand-ins for the APIs the bot calls (Slack's Web API and response_urls, Twilio's Messages API),
served on 127.0.0.1 so tests and bench/ drive the real clients with no network. They belong to the tests,
not to the product package (as bolt-python keeps its mock Web API server under tests/)."""
