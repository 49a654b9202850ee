"""Values of the policy language: dates, periods, durations, money; their canonical and
readable forms. No project imports."""
