"""The feature catalogue: the one source of scenarios' markers, report rows and listings.

Ids are stable (other tools key on them). The first 15 entries encode the rows of the seed's
support matrix, in the seed's order; the features beyond the seed follow with ``seed_row=None``.
Adding a feature is one entry here plus the scenarios that carry its marker.

Every feature has a support level, as Gateway API's conformance profiles do: ``core`` is what
every MLflow-compatible registry must do; ``extended`` is an optional capability, which a
registry may refuse cleanly (``unsupported``) but must get right where it accepts it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal, get_args
from urllib.parse import urlsplit

#: Bumped whenever a feature is added, removed or changes meaning: results documents of different
#: catalogue versions do not merge into one matrix (their rows would not mean the same).
CATALOGUE_VERSION = "4"

Level = Literal["core", "extended"]
LEVELS: tuple[str, ...] = get_args(Level)

#: The group of the features about the REST API itself, which only HTTP targets have.
WIRE_GROUP = "wire"

_ID_PATTERN = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*(\.[a-z0-9]+(-[a-z0-9]+)*)?$")


@dataclass(frozen=True)
class Feature:
    id: str
    title: str
    spec: str
    level: Level
    seed_row: int | None = None

    @property
    def group(self) -> str:
        return self.id.split(".", 1)[0]

    @property
    def http_only(self) -> bool:
        """Measured only against targets reached over HTTP (``not-tested`` on the others)."""
        return self.group == WIRE_GROUP

    @property
    def marker(self) -> str:
        """The pytest marker name that selects this feature's scenarios (``-m``)."""
        return "feature_" + re.sub(r"[.-]", "_", self.id)


FEATURES: tuple[Feature, ...] = (
    Feature(
        "register.mlflow-format",
        "Registering models in MLflow format",
        "A registry MUST register a model saved in MLflow format, whichever way it is handed over: "
        "a local folder (`file://`), a run's artifacts, or an MLflow 3 logged model. The new "
        "version MUST be READY, keep its source, and load through `models:/<name>/<version>` into "
        "a model that predicts as the original did.",
        level="core",
        seed_row=1,
    ),
    Feature(
        "register.non-mlflow-format",
        "Registering models not in MLflow format",
        "A registry MUST accept a version whose source is a folder without an `MLmodel` file, and "
        "downloading that version's artifacts MUST return every file byte for byte.",
        level="extended",
        seed_row=2,
    ),
    Feature(
        "register.from-run",
        "Registering models from runs outputs/artifacts",
        "`register_model('runs:/<run_id>/<path>')` against a run on the same tracking server MUST "
        "create a version that records the run id and loads through `models:/<name>/latest`.",
        level="core",
        seed_row=3,
    ),
    Feature(
        "register.from-foreign-run",
        "Registering models from runs in a different tracking server/workspace",
        "A model logged in a run of another tracking server MUST be registrable in this registry, "
        "and a consumer that knows only this registry (and its own tracking server) MUST be able "
        "to load it.",
        level="extended",
        seed_row=4,
    ),
    Feature(
        "search.list",
        "Search/list registered models",
        "`search_registered_models` without a filter MUST return every registered model exactly "
        "once across pages, and MUST honour `order_by` on `name`, `creation_timestamp` and "
        "`last_updated_timestamp`, each `ASC` and `DESC`.",
        level="core",
        seed_row=5,
    ),
    Feature(
        "version.details",
        "Retrieving details of registered model's versions",
        "`get_registered_model` MUST report the latest versions, and `get_model_version` MUST "
        "return a specific version with its documented fields (name, version, source, run id, "
        "status, stage, description, tags, millisecond timestamps).",
        level="core",
        seed_row=6,
    ),
    Feature(
        "version.description",
        "Editing registered model's versions description",
        "`update_model_version` MUST replace a version's description, return the updated version, "
        "and leave the other versions untouched.",
        level="core",
        seed_row=7,
    ),
    Feature(
        "version.tags",
        "Editing registered model's versions tags",
        "A version's tags MUST be settable, overwritable and deletable, each change visible on the "
        "next read and confined to that version.",
        level="core",
        seed_row=8,
    ),
    Feature(
        "model.rename",
        "Renaming registered models",
        "`rename_registered_model` MUST make the model reachable under the new name only, with its "
        "tags, description and aliases intact, and its versions renamed with it, each with its "
        "source, tags, description and stage intact.",
        level="core",
        seed_row=9,
    ),
    Feature(
        "model.delete",
        "Deleting a registered model (container)",
        "`delete_registered_model` MUST remove the model and all its versions, and leave every "
        "other model as it was; the name then reports RESOURCE_DOES_NOT_EXIST and is free to be "
        "registered again.",
        level="core",
        seed_row=10,
    ),
    Feature(
        "version.delete",
        "Deleting a registered model's version",
        "`delete_model_version` MUST remove exactly that version (and the aliases that point to "
        "it); the model and its other versions stay as they were (tags, description, stage, "
        "aliases), and the deleted number is never handed out again.",
        level="core",
        seed_row=11,
    ),
    Feature(
        "stages",
        "Manage MLflow model stages",
        "A registry MUST transition versions into each of MLflow's stages `None`, `Staging`, "
        "`Production` and `Archived` (the list of stages is the client's own: no call asks the "
        "registry for it), keep several versions in one stage, "
        "honour `archive_existing_versions`, report the latest version per stage, and load "
        "`models:/<name>/<Stage>`.",
        level="extended",
        seed_row=12,
    ),
    Feature(
        "search.by-name",
        "Search registered models by name",
        "A filter `name = '<name>'` MUST return exactly the model of that name, compared "
        "case-sensitively and in full, and nothing for a name that no model has.",
        level="core",
        seed_row=13,
    ),
    Feature(
        "search.like-ilike",
        "Search registered models using string comparators LIKE and ILIKE",
        "`LIKE` MUST match case-sensitively and `ILIKE` case-insensitively, with `%` matching any "
        "run of characters and `_` exactly one.",
        level="core",
        seed_row=14,
    ),
    Feature(
        "search.by-tag",
        "Search registered models by tag",
        "A filter on `tags.<key>` MUST return exactly the models whose tag matches (`=`, `!=`, "
        "`LIKE`), with several tag conditions AND-ed and back-quoted keys accepted.",
        level="core",
        seed_row=15,
    ),
    Feature(
        "search.name-in",
        "Search registered models by a list of names (name IN)",
        "A registry MAY refuse a filter `name IN ('<a>', '<b>', ...)` (MLflow documents the "
        "operator for model-version search only). A registry that accepts it MUST return "
        "exactly the models whose name is one of those listed, compared case-sensitively and "
        "in full, each once, and MUST ignore listed names that no model has.",
        level="extended",
    ),
    # --- registry basics ---
    Feature(
        "model.create",
        "Creating registered models with tags and a description",
        "`create_registered_model` with tags and a description MUST keep both: its answer and "
        "the next `get_registered_model` MUST report each given tag with its value and the "
        "description (a registry MUST NOT silently drop them). Creating a name that a model "
        "already has MUST answer RESOURCE_ALREADY_EXISTS and change nothing; a name whose model "
        "was deleted MUST be creatable again, as a new model without the old one's tags or "
        "description.",
        level="core",
    ),
    Feature(
        "model.description",
        "Editing registered models' description",
        "`update_registered_model` MUST replace a registered model's description and answer "
        "with the updated model; the next `get_registered_model` MUST show the new description "
        "only, and every other model MUST keep its own.",
        level="core",
    ),
    Feature(
        "model.tags",
        "Editing registered models' tags",
        "A registered model's tags MUST be settable (`set_registered_model_tag`), overwritable "
        "and deletable (`delete_registered_model_tag`), each change visible on the next "
        "`get_registered_model` and confined to that model and that key.",
        level="core",
    ),
    Feature(
        "alias.set-get",
        "Setting, moving and deleting aliases; resolving them",
        "`set_registered_model_alias` MUST point an alias at a version, and setting it again "
        "MUST move it to the new version; `get_model_version_by_alias` MUST answer the version "
        "the alias points to, and `models:/<name>@<alias>` MUST load that version. After "
        "`delete_registered_model_alias` the alias MUST no longer resolve (MLflow answers "
        "RESOURCE_DOES_NOT_EXIST or, as its own stores do, INVALID_PARAMETER_VALUE).",
        level="core",
    ),
    Feature(
        "alias.reserved-names",
        "Reserved alias names refused",
        "`set_registered_model_alias` MUST refuse the alias names that MLflow reserves, "
        "`latest` in any case and `v<digits>` (`v1`, `V12`), with INVALID_PARAMETER_VALUE, and "
        "change nothing: `models:/<name>@latest` names the latest version and `v<n>` a version "
        "number, so such an alias would shadow them.",
        level="core",
    ),
    Feature(
        "alias.visible",
        "Aliases reported on models, versions and in model search results",
        "A model's aliases MUST be reported wherever it or its versions are read: "
        "`get_registered_model` (alias -> version), `get_model_version` (the version's own "
        "aliases), and every result of `search_registered_models`, exactly as set.",
        level="core",
    ),
    Feature(
        "alias.in-version-search",
        "Aliases reported in model-version search results",
        "Every result of `search_model_versions` MUST carry that version's aliases, exactly as "
        "set. MLflow's client warns that version-search results 'may not have aliases "
        "populated', and its SQL store leaves them out (mlflow#9783, #16734), so this is an "
        "extended row of its own: code that reads aliases there works on one backend and "
        "silently not on another (an empty list where aliases exist is non-conformant).",
        level="extended",
    ),
    Feature(
        "alias.lifecycle",
        "Aliases through version deletion and model renaming",
        "Deleting a version MUST drop the aliases that point to it, which then no longer "
        "resolve through `get_model_version_by_alias`, and leave the other aliases resolving "
        "as before. Renaming a model MUST carry its aliases to the new name, where each "
        "resolves to the same version, and none resolves under the old name. (That they are "
        "listed so is `version.delete`'s and `model.rename`'s.)",
        level="core",
    ),
    Feature(
        "errors.codes",
        "Error codes (and HTTP statuses) for missing, duplicate and invalid input",
        "A registry MUST answer a call about a registered model or version that does not exist "
        "with RESOURCE_DOES_NOT_EXIST, a creation or rename onto a name in use with "
        "RESOURCE_ALREADY_EXISTS, and an invalid argument (an empty tag key, a version that is "
        "not a number) with INVALID_PARAMETER_VALUE, each without changing anything; over HTTP "
        "with MLflow's status for the code (404, 400 and 400) and a JSON body carrying it.",
        level="core",
    ),
    # --- searches ---
    Feature(
        "search.versions-filter",
        "Search model versions by name, run id, source, version number and tags",
        "`search_model_versions` MUST return exactly the live versions that match a filter on "
        "`name = '<name>'`, `run_id = '<id>'`, `source_path = '<source>'`, `version_number` "
        "(`=`, `>`, with an integer) or `tags.<key> = '<value>'`, several conditions AND-ed: "
        "each matching version once, with its name, version, source, run id and tags as set, "
        "and no other version (of that model or another).",
        level="core",
    ),
    Feature(
        "search.versions-in-like",
        "Search model versions with IN lists and LIKE/ILIKE on names",
        "A registry MAY refuse `IN` and `LIKE`/`ILIKE` in `search_model_versions` filters "
        "(MLflow's client documents `IN` for `run_id` only). A registry that accepts them MUST "
        "return exactly the versions whose `name` or `run_id` is one of those listed (compared "
        "case-sensitively and in full; listed values that nothing has are ignored), and for "
        "`name LIKE` (case-sensitive) and `name ILIKE` (case-insensitive) exactly the versions "
        "of the models whose name matches, `%` matching any run of characters and `_` exactly one.",
        level="extended",
    ),
    Feature(
        "search.versions-order",
        "Ordering model-version search results",
        "A registry MAY refuse `order_by` in `search_model_versions` (Unity Catalog does). A "
        "registry that accepts it MUST return the versions in the requested order, across "
        "pages: `version_number`, `creation_timestamp` and `last_updated_timestamp` (`ASC` and "
        "`DESC`), and several keys, the later ones breaking ties of the earlier (`name DESC, "
        "version_number ASC`).",
        level="extended",
    ),
    Feature(
        "search.pagination",
        "Paging both searches: max_results, page tokens and their limits",
        "Every page of `search_model_versions` MUST hold at most `max_results` versions, and "
        "following `page_token` to the last page (the one without a token) MUST return every "
        "matching version exactly once. Both searches MUST accept `max_results` up to MLflow's "
        "documented maximum (1000 for registered models, 200000 for model versions: "
        "`SEARCH_REGISTERED_MODEL_MAX_RESULTS_THRESHOLD`, `SEARCH_MODEL_VERSION_MAX_RESULTS_"
        "THRESHOLD`) and MUST refuse a larger one with INVALID_PARAMETER_VALUE; a page token "
        "the registry never handed out MUST be refused with INVALID_PARAMETER_VALUE. (The walk "
        "of an unfiltered registered-model listing is `search.list`'s.)",
        level="core",
    ),
    Feature(
        "search.prompt-clause",
        "The MLflow 3 client's hidden prompt clause in searches",
        "MLflow 3's client appends ``tag.`mlflow.prompt.is_prompt` != 'true'`` to every "
        "`search_registered_models` filter (and sends it alone without a filter). A registry "
        "SHOULD accept it; one that accepts it MUST answer the search exactly as it answers the "
        "same filter without the clause, for the models that are not prompts: a model without "
        "that tag matches (mlflow#16800, Azure/azure-sdk-for-python#42155: registries that "
        "refused the clause or matched nothing with it).",
        level="extended",
    ),
    Feature(
        "search.filter-errors",
        "Malformed search filters refused as invalid",
        "Both searches MUST refuse a filter joined with `OR`, a value that is not quoted, an "
        "attribute that does not exist, and an operator outside MLflow's grammar (`IS NULL`), "
        "with INVALID_PARAMETER_VALUE (over HTTP: status 400 and MLflow's JSON error body), "
        "never with an internal error (500), and MUST still answer a well-formed filter.",
        level="core",
    ),
    # --- versions and URIs ---
    Feature(
        "uri.models",
        "Loading and downloading versions through models:/ URIs",
        "`get_model_version_download_uri` MUST answer a URI from which MLflow's client downloads "
        "exactly the files the version was registered from, byte for byte, and "
        "`models:/<name>/<version>` MUST download the same files. `models:/<name>/latest` MUST "
        "load the highest live version (a deleted newer version no longer counts), "
        "`models:/<name>/<stage>` the highest version in that stage, and `models:/<name>@<alias>` "
        "the aliased version. (Where a registry refuses stages or aliases, those URIs are the "
        "`stages` and `alias.set-get` rows', and are judged without.)",
        level="core",
    ),
    Feature(
        "uri.logged-models",
        "MLflow 3 logged models: models:/m-<id> URIs and model_id on versions",
        "A registry MAY refuse versions registered from MLflow 3 logged models. One that accepts "
        "`register_model('models:/m-<id>')` MUST record the logged model's run id and its id as "
        "the version's `model_id` (answered by `create_model_version`, `get_model_version` and "
        "`search_model_versions`; over HTTP, `model_id` of the JSON answer of "
        "`model-versions/get`, which MLflow 3.17's client does not read), and serve the logged "
        "model's files byte for byte through "
        "`get_model_version_download_uri`; both `models:/m-<id>` and `models:/<name>/<version>` "
        "MUST load a model that predicts as the logged one.",
        level="extended",
    ),
    Feature(
        "version.copy",
        "Copying model versions between registered models",
        "A registry MAY refuse a version whose source is another version's "
        "`models:/<name>/<version>` URI, which is what `MlflowClient.copy_model_version` sends. "
        "One that accepts it MUST create the next version of the destination model (version 1 "
        "of a new one), record the source URI `models:/<src>/<version>` and the source "
        "version's run id as MLflow documents, serve the files of exactly that source version "
        "(byte for byte; the copy loads and predicts as the source), and leave the source "
        "version as it was.",
        level="extended",
    ),
    Feature(
        "version.numbering",
        "Version numbers: sequential from 1, never reused, unique under concurrency",
        "A registered model's versions MUST be numbered 1, 2, 3, ... in creation order. A "
        "number MUST NOT be given again after its version is deleted, nor fill a gap left by a "
        "deleted version: the next version is one more than the highest number ever given. "
        "Eight clients creating versions of one model at the same time MUST each get a "
        "different number, together exactly 1 to 8, and each version MUST read back with the "
        "source its creator sent.",
        level="core",
    ),
    Feature(
        "timestamps",
        "Which edits move creation and last-updated timestamps",
        "`creation_timestamp` of a model and of a version MUST never change. A version's "
        "`last_updated_timestamp` MUST move forward when its description is updated and when "
        "its stage changes; a model's MUST move forward when its description is updated and when "
        "a version is created (as MLflow's SQL and file stores do; a stage change MAY move it "
        "too). Tag edits MAY move them (MLflow's stores do not), and no edit MAY move a "
        "timestamp backward. Timestamps are the registry's clock: only timestamps it reported "
        "are compared with each other.",
        level="core",
    ),
    Feature(
        "data.shapes",
        "Unicode, length limits, unusual names and tag values",
        "Names, tag values and descriptions in Unicode (accents, CJK, emoji), and tag keys in "
        "Unicode letters (MLflow's key grammar: word characters, `.`, `-`, `:`, `/`, space), "
        "MUST read back exactly, and a model so named MUST be found by `name = '<name>'`. Tag "
        "keys of 250 characters and tag values of 100,000 characters (MLflow's "
        "`MAX_MODEL_REGISTRY_TAG_KEY_LENGTH`, `MAX_MODEL_REGISTRY_TAG_VALUE_LENGTH`) MUST be "
        "kept whole on models and versions; a longer key MAY be refused, with "
        "INVALID_PARAMETER_VALUE. Names with spaces and dots MUST be accepted and read back "
        "exactly (MLflow refuses `/` and `:` in names: they would split `models:/` URIs). An "
        "empty tag value MUST read back as an empty string, and numbers given as tag values MUST "
        "read back as their text (`42`, `3.5`).",
        level="core",
    ),
    Feature(
        "webhooks.crud",
        "Webhooks: create, read, list, update and delete",
        "A registry that offers MLflow's webhook API (MLflow 3.3+, `/api/2.0/mlflow/webhooks`) "
        "MUST give a created webhook an id and answer it with the name, URL, events, description "
        "and status it was created with; `get_webhook` and every page of `list_webhooks` MUST show "
        "it, exactly once, with those values. `update_webhook` MUST answer the new values, and "
        "later reads MUST show them. After `delete_webhook`, `get_webhook` MUST answer "
        "RESOURCE_DOES_NOT_EXIST and `list_webhooks` MUST no longer show it. The suite creates "
        "these webhooks DISABLED, pointing at an `https://` URL on a public address, so that no "
        "registry sends them anything; a registry MAY refuse a webhook URL by policy (MLflow "
        "refuses other schemes than `https` and private addresses by default).",
        level="extended",
    ),
    Feature(
        "webhooks.delivery",
        "Webhooks: registry events reach the receiver, signed",
        "An ACTIVE webhook with a secret, subscribed to `model_version_tag.set`, MUST receive an "
        "HTTP POST for each tag set on a version, whose JSON body has `entity` "
        "`model_version_tag`, `action` `set` and `data` with the model's name, the version, the "
        "key and the value, signed as MLflow signs it: `X-MLflow-Signature` is `v1,` and the "
        "base64 HMAC-SHA256, keyed by the secret, of `<X-MLflow-Delivery-Id>.<X-MLflow-"
        "Timestamp>.<body>`. `test_webhook` MUST send an example payload signed the same way and "
        "report the receiver's status. A registry MAY take up to 60 s to act on a new webhook "
        "(MLflow caches the webhook list for `MLFLOW_WEBHOOK_CACHE_TTL`, 60 s); the suite waits "
        "75 s, setting the tag again every 2 s. The receiver listens on 127.0.0.1 of the machine "
        "running the suite, so: a registry that refuses that URL by policy "
        "(INVALID_PARAMETER_VALUE; MLflow's server unless `MLFLOW_WEBHOOK_ALLOWED_SCHEMES=http,"
        "https` and `MLFLOW_WEBHOOK_ALLOW_PRIVATE_IPS=true`) is not tested; so is one whose test "
        "delivery reports that it cannot reach the receiver, or that reached another listener, "
        "and one that offers no test delivery and delivered nothing (an unreachable receiver "
        "cannot be told from a missing delivery). Once a test delivery reached the receiver, no "
        "event within 75 s is a failure.",
        level="extended",
    ),
    Feature(
        "workspaces.isolation",
        "Workspaces: the same name in two workspaces stays isolated",
        "A registry that reports workspaces (MLflow 3.10+, `mlflow server --enable-workspaces`: "
        "`workspaces_enabled` in `server-info`, a store's `supports_workspaces`) MAY refuse to "
        "create them, but one that creates two workspaces MUST keep their registered models "
        "apart: the same model name MUST be creatable in each, and its description, tags, "
        "versions (numbered from 1 in each), aliases, searches and deletes MUST concern only "
        "the workspace selected for the call (`mlflow.set_workspace`, the `X-MLFLOW-WORKSPACE` "
        "header); a model of one workspace MUST be `RESOURCE_DOES_NOT_EXIST` from another. A "
        "target without workspaces is not tested on this row, nor is any target by a run whose "
        "namespace workspace names cannot start with (only lowercase letters, digits, `-`).",
        level="extended",
    ),
    # --- the wire (HTTP targets only: what MLflow's client hides) ---
    Feature(
        "wire.endpoints",
        "REST endpoints on their documented methods and paths, answering JSON objects",
        "Over HTTP, every registry RPC of MLflow's `model_registry.proto` MUST answer on its "
        "documented method and path under `/api/2.0/mlflow/` (GET with query parameters; POST, "
        "PATCH and DELETE with a JSON body, DELETE included) with status 200, "
        "`Content-Type: application/json` and a JSON object holding the documented field "
        "(`registered_model`, `model_version`, `model_versions`, `registered_models`, "
        "`artifact_uri`; `{}` for the RPCs that answer nothing, never an empty body), and its "
        "effect MUST show in the next documented read. (MLflow 3's client takes an empty body for "
        "`{}` and never looks at the content type.)",
        level="core",
    ),
    Feature(
        "wire.error-envelope",
        "The JSON error envelope, with the status matching its code",
        "Over HTTP, a registry MUST answer an error with a JSON object (`Content-Type: "
        "application/json`) holding `error_code` (the name of an MLflow error code) and "
        "`message` (non-empty text), with MLflow's HTTP status for that code "
        "(`mlflow.exceptions.ERROR_CODE_TO_HTTP_STATUS`): a missing model or version "
        "RESOURCE_DOES_NOT_EXIST with 404, from endpoints that answer (a bare 404 page there is "
        "no envelope); a name in use RESOURCE_ALREADY_EXISTS with 400; a missing required "
        "parameter, a version that is not a number, a `max_results` that is not a number "
        "INVALID_PARAMETER_VALUE or BAD_REQUEST with 400 (the version also "
        "RESOURCE_DOES_NOT_EXIST with 404): which sensible code is `errors.codes`' question. "
        "(MLflow's client shows its own text where `message` is missing, so only the wire tells.)",
        level="core",
    ),
    Feature(
        "wire.types",
        "JSON types of answers: versions as strings, timestamps as integers",
        "Over HTTP, every model version a registry answers with (`model-versions/create`, "
        "`get`, `update`, `search`, `registered-models/alias`, and a registered model's "
        "`latest_versions`) MUST carry `version` as a JSON string of decimal digits, and "
        "every `creation_timestamp` and `last_updated_timestamp` of models and versions MUST be a "
        "JSON integer (milliseconds since the epoch), as MLflow's server sends them. (Protobuf's "
        "JSON mapping would write int64 as strings; MLflow's client parses either, other "
        "clients do not.)",
        level="core",
    ),
    Feature(
        "wire.get-latest-versions",
        "get-latest-versions by POST and by GET",
        "`registered-models/get-latest-versions` MUST answer POST with a JSON body "
        '(`{"name", "stages"}`) and SHOULD answer GET with query parameters (`stages` '
        "repeated: `stages=A&stages=B`); MLflow's proto declares both, and its client sends POST "
        "and falls back to GET when POST is not found. Both MUST answer the same versions: the "
        "highest version in each stage asked for (every stage when none is given), only those. "
        "Extended: Unity Catalog refuses the RPC, and stages are deprecated since MLflow 2.9.",
        level="extended",
    ),
    Feature(
        "wire.request-tolerance",
        "Requests with unknown fields or a charset parameter accepted",
        "Over HTTP, a registry MUST ignore fields it does not know in a JSON request body and "
        "parameters it does not know in a query string (newer clients send fields that older "
        "registries lack: `deployment_job_id`, `model_id`) and answer as without them; it MUST "
        "accept `Content-Type: application/json; charset=utf-8` and read such a body as UTF-8 "
        "(accented and non-Latin text reads back exactly). A registry that refuses an unknown "
        "field cleanly (INVALID_PARAMETER_VALUE) is `unsupported` on that scenario, and so "
        "does not conform to core.",
        level="core",
    ),
)

FEATURES_BY_ID: dict[str, Feature] = {feature.id: feature for feature in FEATURES}
FEATURES_BY_MARKER: dict[str, Feature] = {feature.marker: feature for feature in FEATURES}

#: What the wire rows need of a target (``Feature.http_only``): its registry URI's scheme.
HTTP_SCHEMES = ("http", "https")


def applies(feature_id: str, registry_uri: str) -> bool:
    """Whether the feature can be measured on a target at ``registry_uri`` (a masked URI will
    do): the wire rows only on targets reached over HTTP. Where it cannot, the feature is not
    tested, and neither a level's conformance nor the gate counts it."""
    feature = FEATURES_BY_ID.get(feature_id)
    return not (feature and feature.http_only) or urlsplit(registry_uri).scheme in HTTP_SCHEMES


def validate_catalogue(features: tuple[Feature, ...] = FEATURES) -> None:
    """Fail loudly on a malformed catalogue; other tools key on these ids."""
    ids = [feature.id for feature in features]
    if len(set(ids)) != len(ids):
        raise ValueError("duplicate feature ids in the catalogue")
    for feature in features:
        if not _ID_PATTERN.match(feature.id):
            raise ValueError(f"feature id {feature.id!r} is not group.name in kebab-case")
        if feature.level not in LEVELS:
            raise ValueError(f"feature {feature.id!r}: level {feature.level!r} is not in {LEVELS}")
    seed_rows = [feature.seed_row for feature in features if feature.seed_row is not None]
    if seed_rows != list(range(1, len(seed_rows) + 1)):
        raise ValueError("seed rows must be 1..N in catalogue order")
