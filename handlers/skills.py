"""Skills needs: what members need to learn, counted per cluster for coordinators."""
from handlers.turn import Handler

FLOW = "skills"
KEYWORDS: dict[str, Handler] = {}
STEPS: dict[str, Handler] = {}
