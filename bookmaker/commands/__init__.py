"""Stage 4, commands: one module a command (build, check, new, stats, watch), each a plain function
with typed parameters that the CLI calls. They run the pipeline load → render → writers."""
