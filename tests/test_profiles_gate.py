"""Every built-in expectations profile against the reference backend's emulation of it.

The profile (claims) and the emulation (behaviour) are written separately (for Azure ML, the
emulation's refusals beside the column both read); the gate in strict mode is what proves they
say the same thing, through the console command users run.
"""

from __future__ import annotations

import pytest

from conformance.gate import expectations
from reference_backend.emulations import EMULATIONS
from tests import report_documents


def test_every_built_in_profile_has_an_emulation():
    assert set(expectations.profile_names()) == set(EMULATIONS)


@pytest.mark.parametrize("profile", expectations.profile_names())
def test_the_emulation_passes_its_profile_strictly(profile, tmp_path):
    done, document = report_documents.run_with_document(
        tmp_path,
        "--registry-uri",
        f"memory://gate-{profile}?emulate={profile}",
        "--foreign-tracking-uri",
        f"memory://gate-{profile}-foreign",
        "--expect",
        profile,
        "--strict",
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    gate = document["gate"]
    assert gate["passed"] is True
    assert gate["strict"] is True
    statuses = {check["status"] for check in gate["checks"]}
    assert statuses <= {"holds", "ignored"}
    # Every exception the profile lists is really there in the emulation, not just tolerated
    # (a feature the profile leaves to its default, e.g. one its source does not cover, is none;
    # nor is a race the emulation says it does not reproduce, which the profile ignores).
    listed = expectations.load_profile(profile).features
    races = EMULATIONS[profile].races_not_emulated
    assert all(listed[feature].claim == "ignored" for feature in races)
    exceptions = {
        check["feature"]: check["verdict"]
        for check in gate["checks"]
        if check["feature"] in listed
        and listed[check["feature"]].claim != "supported"
        and check["feature"] not in races
    }
    assert exceptions
    assert "supported" not in exceptions.values(), exceptions
