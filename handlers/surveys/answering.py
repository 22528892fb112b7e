"""SURVEY: placeholder until the answering part lands."""
FLOW = "survey"
KEYWORDS: dict = {}
STEPS: dict = {}
