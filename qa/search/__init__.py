"""Search: a question's filters, and the passages of a library ranked for it (BM25, dense, fused)."""
