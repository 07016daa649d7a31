"""The dashboard: the CLI's reports of one data set as an HTML page or a Markdown summary."""
