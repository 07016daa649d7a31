"""Reading a data dir: files to raw string frames, raw frames to validated, typed frames."""
