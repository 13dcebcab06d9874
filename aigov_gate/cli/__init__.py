"""Click commands: parse arguments, build objects, run the core, render, exit. Nothing else."""
