"""Compare two tender rounds from a script (the API of `udbudsregler diff`).

Run from the repository root:

    .venv/bin/python docs/examples/compare_rounds.py
"""

from udbudsregler.testing import compare

report = compare("policies/slagelse-2019", "examples/next-round",
                 citizens=2000, scenarios=500, examples=1)

print(f"{report.old.id} -> {report.new.id} on {report.on}: "
      f"{report.compared} citizens and {report.scenarios_compared} referrals compared")
for kind, group in report.groups.items():
    if group.count:
        money = f", {group.total:+} DKK" if group.total else ""
        print(f"  {kind}: {group.count}{money}")
        for part in group.responsible:
            name = f"{part.kind} {part.id}".strip()
            print(f"    {name}: {part.old} -> {part.new} ({part.count})")

# The first example of a group is a YAML test case for the new round:
print(report.groups["became_eligible"].examples[0].case)
