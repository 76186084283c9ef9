"""Training: the reader (a cross-encoder) fitted on SQuAD question and sentence pairs, for `python -m qa train-reader`."""
