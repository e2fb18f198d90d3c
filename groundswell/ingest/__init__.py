"""The import pipeline: importer records -> validated Arrow parts -> idempotent merge.

- :mod:`.records`: what every record goes through (validation, uid) and how records become
  Arrow *parts*, in this process or in worker processes;
- :mod:`.merge`: the idempotent merge of a batch of parts into the store;
- :mod:`.pipeline`: one import run of one file, with provenance, quarantine and coverage.
"""

from groundswell.ingest.pipeline import Pipeline, Progress, run_import
from groundswell.provenance import ImportResult

__all__ = ["ImportResult", "Pipeline", "Progress", "run_import"]
