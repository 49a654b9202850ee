"""Pictures of policies and reports: the rule graph (Mermaid, dot, SVG), the diff as HTML."""
