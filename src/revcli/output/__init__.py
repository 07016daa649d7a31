"""Reports and their renderers: table, csv, json, markdown; atomic file writes."""
