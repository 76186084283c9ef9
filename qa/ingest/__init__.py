"""Ingest: source files (text, web pages, PDFs) read into articles, cleaned of boilerplate, cut into passages."""
