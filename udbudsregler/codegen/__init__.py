"""Code generation: the rule graph compiled to Python functions."""
