"""``registry-conformance expectations ...``: write expectations from a run, check, list profiles.

Only ``register`` is public: the console command adds this subcommand to its own parser.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import tomli_w

from conformance.catalogue import FEATURES
from conformance.gate import expectations
from conformance.outcomes import BROKEN, EXTENTS, IGNORED, Verdict
from conformance.results import files as results_file
from conformance.results import levels


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``expectations`` with its three actions; each sets ``handler`` (``Namespace -> exit
    code``), the convention of ``conformance.cli``."""
    parser = subparsers.add_parser(
        "expectations",
        help="write, check or list the expectations files of the CI gate (--expect)",
        description="Expectations files state what a registry claims per feature; "
        "`--expect FILE-OR-PROFILE` gates a run on them.",
    )
    actions = parser.add_subparsers(dest="expectations_action", required=True)

    generate = actions.add_parser(
        "from-results",
        help="write an expectations file whose claims are a run's verdicts",
        description="Claims reproduce the run's verdicts (the run passes them even with "
        "--strict-expectations): partial and unsupported become claims with the verdict's "
        "note as reason, not-tested becomes ignored, supported is the default. A run limited "
        "by --level writes a file of those levels (levels = [...]).",
    )
    generate.add_argument("results_json", type=Path, metavar="RESULTS.json")
    generate.add_argument("--target", help="target id, when the document has several")
    generate.add_argument("-o", "--output", type=Path, metavar="FILE", help="default: stdout")
    generate.add_argument(
        "--allow-failures",
        action="store_true",
        help="write non-conformant and inconclusive verdicts as 'ignored' instead of refusing",
    )
    generate.set_defaults(handler=_from_results)

    check = actions.add_parser("check", help="validate expectations files or profile names")
    check.add_argument("specs", nargs="+", metavar="FILE-OR-PROFILE")
    check.set_defaults(handler=_check)

    listing = actions.add_parser("profiles", help="list the built-in profiles and what each claims")
    listing.set_defaults(handler=_profiles)


def _from_results(args: argparse.Namespace) -> int:
    """Exit 2 with one line on stderr when no file can be written (as ``conformance.cli``)."""
    try:
        document = results_file.read(args.results_json)
        text = _expectations_text(document, args.target, args.allow_failures)
        if args.output:
            args.output.write_text(text, encoding="utf-8")
        else:
            sys.stdout.write(text)
    except (OSError, ValueError) as exc:
        print(f"registry-conformance expectations: error: {exc}", file=sys.stderr)
        return 2
    return 0


def _check(args: argparse.Namespace) -> int:
    """Exit 1 when any file is invalid, each problem on stderr."""
    code = 0
    for spec in args.specs:
        try:
            loaded = expectations.load(spec)
        except expectations.ExpectationsError as exc:
            print(exc, file=sys.stderr)
            code = 1
            continue
        print(f"{spec}: valid, {len(loaded.features)} claims, default {loaded.default}")
    return code


def _profiles(args: argparse.Namespace) -> int:
    """Each profile's title and source, then what it claims: a line per feature it does not
    claim as plainly supported (claim and reason), and a count of the supported rest."""
    for number, name in enumerate(expectations.profile_names()):
        profile = expectations.load_profile(name)
        claims = [(feature.id, profile.claim_for(feature.id)) for feature in FEATURES]
        others = [(f, claim) for f, claim in claims if claim.claim != Verdict.SUPPORTED]
        width = max((len(feature) for feature, _ in others), default=0)
        if number:
            print()
        print(f"{name:<20} {profile.basis:<11} {profile.title}")
        print(f"{'':<20} {'':<11} {profile.link}")
        for feature, claim in others:
            reason = claim.reason + (f" ({claim.link})" if claim.link else "")
            if feature not in profile.features:
                reason = "not listed: the profile's default"
            print(f"  {feature:<{width}}  {claim.claim:<11}  {reason}".rstrip())
        print(f"  supported: the other {len(claims) - len(others)} of {len(claims)} features")
    return 0


def _expectations_text(document: dict[str, Any], target: str | None, allow_failures: bool) -> str:
    """The TOML text, parsed back before it is returned, so a file this command writes always
    loads."""
    target_id, label = _pick_target(document, target)
    # A run of some levels claims those levels only (the file then gates no other feature).
    chosen = levels.run_selection(
        document, next(t for t in document["targets"] if t["id"] == target_id)
    ).levels
    level_of = {f["id"]: levels.catalogue_level(f["id"], f) for f in document["features"]}
    verdicts = [
        v
        for v in document["verdicts"]
        if v["target"] == target_id and (not chosen or level_of.get(v["feature"]) in chosen)
    ]
    failures = [v for v in verdicts if v["verdict"] in BROKEN]
    if failures and not allow_failures:
        listed = "; ".join(f"{v['feature']} {v['verdict']}" for v in failures)
        raise ValueError(
            f"{target_id} has failures ({listed}); an expectations file must not "
            "enshrine a bug: fix them, or pass --allow-failures to write them as 'ignored'"
        )
    features = {}
    for verdict in verdicts:
        claim = verdict["verdict"] if verdict["verdict"] in EXTENTS else IGNORED
        if claim == Verdict.SUPPORTED:
            continue  # the default
        reason = verdict["note"]
        if verdict["verdict"] != claim:
            reason = f"measured {verdict['verdict']}: {reason}"
        features[verdict["feature"]] = {"claim": claim, "reason": reason}
    data = {
        "schema": expectations.SCHEMA_ID,
        "default": Verdict.SUPPORTED.value,
        **({"levels": list(chosen)} if chosen else {}),
        "about": {
            "title": label,
            "basis": "measured",
            "description": _description(document, target_id),
        },
        **({"features": features} if features else {}),
    }
    suite = document["suite"]["version"]
    header = f"# Written by `registry-conformance expectations from-results` (suite {suite}).\n"
    text = header + tomli_w.dumps(data)
    expectations.parse(text, "generated expectations")
    return text


def _pick_target(document: dict[str, Any], wanted: str | None) -> tuple[str, str]:
    targets = {t["id"]: t["label"] for t in document["targets"]}
    if wanted is None and len(targets) == 1:
        wanted = next(iter(targets))
    if wanted not in targets:
        choice = "no such target" if wanted else "several targets"
        raise ValueError(f"{choice}: pass --target with one of {', '.join(targets)}")
    return wanted, targets[wanted]


def _description(document: dict[str, Any], target_id: str) -> str:
    target = next(t for t in document["targets"] if t["id"] == target_id)
    versions = ", ".join(
        f"{side} {name} {version}"
        for side in ("client", "server")
        for name, version in target[side].items()
        if name == "mlflow"
    )
    versions = versions or "versions unknown"
    return f"Measured {document['started']} against {target['label']} ({versions})."
