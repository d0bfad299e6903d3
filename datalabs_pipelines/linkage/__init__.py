"""Cross-agency person linkage: identities in the pii zone in, a stable ``person_key`` out."""
