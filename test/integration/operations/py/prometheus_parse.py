"""Parses Prometheus text exposition (stdin) with Prometheus' own Python client parser
(prometheus_client.parser.text_string_to_metric_families) and prints the families as JSON:
[{"name", "type", "help", "samples": [{"name", "labels", "value"}]}]. A malformed exposition
makes the parser raise, and this script exit 1 with its message."""
import json
import math
import sys

from prometheus_client.parser import text_string_to_metric_families

families = []
for family in text_string_to_metric_families(sys.stdin.read()):
    families.append(
        {
            "name": family.name,
            "type": family.type,
            "help": family.documentation,
            "samples": [
                {
                    "name": s.name,
                    "labels": s.labels,
                    "value": None if math.isnan(s.value) else (s.value if math.isfinite(s.value) else str(s.value)),
                }
                for s in family.samples
            ],
        }
    )
print(json.dumps(families))
