"""The meaning of the language: types, the typing rules of the operators, the function
library, and the run-time operations."""
