"""CSV import of leads, one idea per module, each importing only the ones before it:

    reading     the encoding check, separator and quote handling, the CSV reader
    mapping     which lead field each column feeds (defaults, explicit mappings, the plan)
    error_file  the rejected rows written back with what went wrong and how to fix it
    rows        bulk inserts without model instances, primary keys, the audit JSON
    accounts    account matching fit for a whole file
    engine      the chunked import itself (``LeadImport``, ``leads_import``); see its docstring
    jobs        ``ImportJob``: create, map, preview, run, resume stale jobs, retry

Other apps import the import's front door from here; code inside the package and its tests
import from the module the name lives in.
"""

from accord.intake.importing.engine import leads_import
from accord.intake.importing.jobs import (
    import_job_create,
    import_job_run,
    import_jobs_resume_stale,
    import_source_default,
)
from accord.intake.importing.reading import ImportFileError

__all__ = [
    "ImportFileError",
    "import_job_create",
    "import_job_run",
    "import_jobs_resume_stale",
    "import_source_default",
    "leads_import",
]
