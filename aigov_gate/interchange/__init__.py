"""Documents in and out of other tools' formats: Hugging Face model cards (model_card),
written as our YAML by ``writing``. Nothing here prints; the CLI does."""
