"""The generator of the benchmarks' databases (timers_gen), writing cases of the pharmacy pathway's
current version: the daemon loads that one, and cases of a version it neither loads nor has published
would find no timer to fire."""
import os
import re

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TIMERS_GEN = os.path.join(ROOT, "build", "release", "timers_gen")
_pharmacy = open(os.path.join(ROOT, "pathways", "pharmacy.yaml"), encoding="utf-8").read()
os.environ["TSUNAGU_PATHWAY_VERSION"] = re.search(r"^version: (\d+)", _pharmacy, re.M).group(1)
