"""Privacy and governance: identifier tokenization, classification rules."""
