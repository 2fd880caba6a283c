"""Investment planner: project pipelines and portfolio optimisation (MILP)."""
