"""Platform emulations: which known platform's restrictions a reference-backend instance copies.

``memory://NAME?emulate=EMULATION`` (or ``reference-backend serve --emulate EMULATION``) makes the
instance refuse what that platform refuses, so code can be tested against those limits without
an account. This module is the table of emulations, as plain data: it imports nothing from MLflow
(whose import takes seconds), so the command line can list and check emulation names before it
binds its port. ``emulation_guard.py`` enforces an emulation in the stores.

A refusal message given here is a format string; ``{source}``, ``{origin}`` ("run 'ID'" or
"logged model 'ID'") and ``{filter}`` are filled in. Where the platform's own words are known,
they are used and cited.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from enum import Enum
from importlib import resources
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

#: The seed article's support matrix, transcribed (package data): which features its "Azure ML
#: with MLflow" column denies is read there, the one place that says it. The suite's documented
#: columns and its built-in expectations of Azure ML read the same file.
SEED_MATRIX = "seed-azureml-2022.toml"


class OrderKeys(Enum):
    """Which ``order_by`` keys ``search_registered_models`` accepts, checked by whose parser."""

    #: The reference backend's own: name, creation_timestamp, last_updated_timestamp, timestamp.
    REFERENCE = "reference"
    #: MLflow's SQL store: name, timestamp, last_updated_timestamp (``SearchUtils``).
    SQL_STORE = "sql-store"
    #: MLflow's file store: name, creation_timestamp, last_updated_timestamp (``SearchModelUtils``).
    FILE_STORE = "file-store"


@dataclass(frozen=True)
class Emulation:
    """What one platform refuses, as flags and messages; a ``*_refusal`` of None allows."""

    name: str
    #: One line for help texts: the platform emulated and how its limits were learnt.
    summary: str
    #: MLflow server's source rule: a local source needs a run (or logged model) of this
    #: server that contains it; run and model ids must name this server's runs and models.
    server_source_rule: bool = False
    #: Refuse a version whose readable source folder has no ``MLmodel`` file.
    non_mlflow_format_refusal: str | None = None
    #: Refuse a version whose run (run_id, ``runs:/`` or ``models:/m-`` source) this
    #: instance's own tracking store does not know.
    foreign_run_refusal: str | None = None
    rename_refusal: str | None = None
    model_delete_refusal: str | None = None
    #: Refuse LIKE and ILIKE in registered-model and model-version search filters.
    like_filter_refusal: str | None = None
    #: Refuse tag comparisons in registered-model search filters, except the clause that
    #: MLflow's client appends to every search (``tag.`mlflow.prompt.is_prompt` != 'true'``).
    model_tag_filter_refusal: str | None = None
    #: Refuse registered-model search filters with that clause.
    prompt_clause_refusal: str | None = None
    order_keys: OrderKeys = OrderKeys.REFERENCE
    #: MLflow's file store refuses model names with ``%`` (it uses names as folder names).
    percent_in_names: bool = True
    #: MLflow's file store loses a model's tags and aliases when it renames the model.
    rename_keeps_tags_and_aliases: bool = True
    #: MLflow's stores let two kinds of bad search input escape their parsers as bare Python
    #: errors (an HTML 500 over HTTP): a filter with ``IS NULL`` (ValueError) and a page token
    #: that decodes to JSON other than an object (AttributeError).
    search_input_crashes: bool = False
    #: MLflow's SQL store leaves aliases out of model-version search results (mlflow#9783).
    aliases_in_version_search: bool = True
    #: MLflow's SQL store has no column for a version's ``model_id``: it reads back None.
    keeps_version_model_id: bool = True
    #: MLflow's file store writes each tag to a file named by its key: a key longer than the
    #: file system's name limit (this many UTF-8 bytes) escapes as a bare ``OSError``
    #: (``ENAMETOOLONG``) instead of being kept or refused. None: no such limit.
    tag_key_file_name_bytes: int | None = None
    #: Workspaces (MLflow 3.10+, ``mlflow server --enable-workspaces``): each keeps its own models.
    #: Without, the store reports none (``supports_workspaces``), refuses to create them and keeps
    #: every model in the default workspace, as MLflow's stores without workspaces do.
    workspaces: bool = True
    #: MLflow's file store has no webhooks: every webhook call raises the NotImplementedError of
    #: MLflow's base store ("FileStore does not support create_webhook").
    webhooks: bool = True
    #: MLflow's webhook URL policy (``_validate_webhook_url``, which reads MLflow's variables):
    #: by default ``https`` only, to hosts that resolve to public addresses.
    webhook_url_policy: bool = False
    #: Features whose verdict on the platform turns on a race that the emulation does not
    #: reproduce (its store serialises calls): the platform measures either verdict, the
    #: emulation always the won race's. The platform's profile ignores them.
    races_not_emulated: frozenset[str] = frozenset()


#: No emulation: the reference backend's own behaviour (MLflow's SQL store, see DIFFERENCES.md).
UNRESTRICTED = Emulation("none", "no restrictions: the reference backend's own behaviour")

# Azure ML answers every refusal seen in public reports with HTTP 400 and error code
# INVALID_PARAMETER_VALUE (Azure/azure-sdk-for-python#42155, mlflow/mlflow#15329 and #8008), so
# the guard refuses with that code. Message sources:
# - [seed]: the seed article, learn.microsoft.com/azure/machine-learning/how-to-manage-models-mlflow
#   (2022-06-08), quoted (one typo fixed: "immmutable").
# - [plugin]: azureml-mlflow 1.62's client-side check of file:// sources
#   (azureml/mlflow/_store/model_registry/model_registry.py:40-67), in the server's
#   "Provided model source: ..." style (mlflow/mlflow#15329).
# - [server]: the prefix and "Provided filter string: ..." suffix of Azure ML's answer to a filter
#   it does not support (Azure/azure-sdk-for-python#42155); the parenthesis is ours, as Azure's
#   own says "(we currently do not support OR)" whatever the unsupported part is.
# - [ours]: the sentence naming the unknown run.
#: Per catalogue feature the seed's column may deny: the Emulation field that refuses it, the
#: refusal, and a few words for the summary. Which of them are refused is the column's to say.
_AZUREML_REFUSALS: dict[str, tuple[str, str, str]] = {
    "register.non-mlflow-format": (
        "non_mlflow_format_refusal",
        "Model source must be a directory containing an mlflow MLmodel. "  # [plugin]
        "Provided model source: {source}",
        "no non-MLflow-format registration",
    ),
    "register.from-foreign-run": (
        "foreign_run_refusal",
        "Models can only be registered to the registry in the same workspace where the run was "
        "tracked. Cross-workspace operations are not supported by the moment in Azure Machine "
        "Learning. "  # [seed]
        "The {origin} is not tracked in this workspace.",  # [ours]
        "no cross-workspace registration",
    ),
    "model.rename": (
        "rename_refusal",
        "Renaming models is not supported in Azure Machine Learning as model objects are "
        "immutable.",  # [seed]
        "no rename",
    ),
    "model.delete": (
        "model_delete_refusal",
        "Azure Machine Learning doesn't support deleting the entire model container. To achieve "
        "the same thing, you will need to delete all the model versions from a given model.",
        "no container delete",
    ),  # [seed]
    "search.like-ilike": (
        "like_filter_refusal",
        "Currently unsupported filter string format (LIKE and ILIKE are not supported). "
        "Provided filter string: {filter}",  # [server] + [ours]
        "no LIKE/ILIKE",
    ),
    "search.by-tag": (
        "model_tag_filter_refusal",
        "Currently unsupported filter string format (filtering registered models by tag is not "
        "supported). Provided filter string: {filter}",  # [server] + [ours]
        "no tag search",
    ),
}


def documented_column(platform: str) -> dict[str, Any]:
    """The column of the seed's matrix that documents ``platform`` (its ``platform`` key)."""
    text = resources.files(__package__).joinpath(SEED_MATRIX).read_text("utf-8")
    columns = tomllib.loads(text)["columns"]
    return next(column for column in columns if column.get("platform") == platform)


def _denied(column: dict[str, Any]) -> list[str]:
    """The features a documented column claims unsupported (a cell is a claim or a table)."""
    claims = {f: c["claim"] if isinstance(c, dict) else c for f, c in column["cells"].items()}
    return [feature for feature, claim in claims.items() if claim == "unsupported"]


def _azureml() -> Emulation:
    denied = _denied(documented_column("azureml"))
    unknown = [feature for feature in denied if feature not in _AZUREML_REFUSALS]
    if unknown:
        raise ValueError(f"{SEED_MATRIX}: the azureml emulation cannot refuse {unknown}")
    refusals = [_AZUREML_REFUSALS[feature] for feature in denied]
    limits = ", ".join(words for *_, words in refusals)
    summary = (
        f"Azure ML through MLflow, as the seed article documents it (2022): {limits}; and "
        "no prompt clause in searches (as reported in 2025)"
    )
    fields = {field: message for field, message, _ in refusals}
    return Emulation("azureml", summary, prompt_clause_refusal=_AZUREML_PROMPT_CLAUSE, **fields)


# Beyond the seed (2022), which predates MLflow 3's prompt clause: Azure ML's answer to the
# clause, verbatim (Azure/azure-sdk-for-python#42155, 2025, azureml-mlflow 1.60).
_AZUREML_PROMPT_CLAUSE = (
    "Currently unsupported filter string format (we currently do not support OR). "
    "Provided filter string: {filter}"
)


AZUREML = _azureml()

# Measured against `mlflow server` 3.17.2 on SQLite (tests/test_mlflow_server_verdicts.py);
# the guard raises MLflow's own messages and codes (server/handlers.py, SearchUtils).
MLFLOW_SERVER_SQL = Emulation(
    "mlflow-server-sql",
    "MLflow's `mlflow server` on a SQL store (measured, 3.17): local sources only inside a run "
    "of its own, no foreign runs' artifacts, no order_by creation_timestamp, no aliases in "
    "version search results, no model_id kept on versions, webhook URLs only https to public "
    "addresses (unless MLflow's variables allow more)",
    server_source_rule=True,
    webhook_url_policy=True,
    order_keys=OrderKeys.SQL_STORE,
    search_input_crashes=True,
    aliases_in_version_search=False,
    keeps_version_model_id=False,
    workspaces=False,  # a plain `mlflow server`: workspaces need --enable-workspaces
)

# Measured against MLflow 3.17.2's file store, in-process (MLFLOW_ALLOW_FILE_STORE=true): the
# suite's verdicts and direct calls; see DIFFERENCES.md. The guard uses MLflow's own validators.
MLFLOW_FILE_STORE = Emulation(
    "mlflow-file-store",
    "MLflow's file store, in-process (measured, 3.17): no '%' in model names, no order_by "
    "timestamp, a rename that drops the model's tags and aliases, tag keys longer than a "
    "file name crash, and no webhooks",
    order_keys=OrderKeys.FILE_STORE,
    percent_in_names=False,
    rename_keeps_tags_and_aliases=False,
    search_input_crashes=True,
    tag_key_file_name_bytes=255,  # NAME_MAX of ext4, tmpfs, xfs, APFS
    workspaces=False,  # the file store has none (supports_workspaces: False)
    webhooks=False,
    # concurrent creators of one model's versions collide on its next version folder
    races_not_emulated=frozenset({"version.numbering"}),
)

EMULATIONS: dict[str, Emulation] = {
    e.name: e for e in (AZUREML, MLFLOW_SERVER_SQL, MLFLOW_FILE_STORE)
}
