"""Version comparison: Ascend-style for CANN/driver, PEP 440 for packages."""

from __future__ import annotations

import random

import pytest

from mindpilot.validators.versions import AscendVersion, ascend_compare, ascend_matches, satisfies, valid_spec

ORDERED = ["8.0.T6", "8.0.RC1", "8.0.RC2", "8.0.RC3.beta1", "8.0.RC3", "8.0.0", "8.1.RC1", "8.2.RC1",
           "8.3.RC1", "8.3.RC2", "8.5.0", "9.0.0", "9.2.0-beta.2", "9.2.0"]


def test_every_reference_string_sorts_in_ascend_order():
    shuffled = ORDERED[:]
    random.Random(4).shuffle(shuffled)
    assert sorted(shuffled, key=AscendVersion) == ORDERED


@pytest.mark.parametrize("low,high", list(zip(ORDERED, ORDERED[1:])))
def test_neighbours_compare_strictly(low, high):
    assert ascend_compare(low, high) == -1
    assert ascend_compare(high, low) == 1


def test_rc_comes_before_the_final_release_unlike_pep440():
    assert AscendVersion("8.0.RC3") < AscendVersion("8.0.0")
    assert AscendVersion("8.1.RC1") > AscendVersion("8.0.0")


@pytest.mark.parametrize("a,b", [("8.1", "8.1.0"), ("8.2.rc1", "8.2.RC1"), ("25.3.RC1", "25.3.rc1")])
def test_equal_spellings(a, b):
    assert ascend_compare(a, b) == 0


def test_driver_versions():
    assert AscendVersion("24.1.RC3") < AscendVersion("24.1.rc3.3") < AscendVersion("24.1.0") < AscendVersion("25.0.RC1")
    assert AscendVersion("23.0.2.1") > AscendVersion("23.0.2")


@pytest.mark.parametrize("found,accepted,expected", [
    ("8.1.RC1", "8.1", True), ("8.1.0", "8.1", True), ("8.0.RC3.beta1", "8.0.RC3", True),
    ("8.2.RC1", "8.2.RC1", True), ("8.2.RC2", "8.2.RC1", False), ("8.10.0", "8.1", False),
    ("8.3.RC1", "8.2", False), ("8.0.RC3", "", False),
])
def test_ascend_matches(found, accepted, expected):
    assert ascend_matches(found, accepted) is expected


@pytest.mark.parametrize("version,spec,expected", [
    ("2.7.1", "2.7.1", True), ("2.7.1", "~=2.7.1", True), ("2.7.2", "~=2.7.1", True), ("2.8.0", "~=2.7.1", False),
    ("2.7.0rc1", "~=2.7.0rc1", True), ("2.7.0", ">=2.7.0rc1,<2.7.1", True), ("2.6.0", ">=2.7.0rc1,<2.7.1", False),
    ("0.8.4.dev0+g296c657.d20250514.empty", "==0.8.4.dev0", True), ("0.8.3", "==0.8.4.dev0", False),
    ("1.2.0.dev20250604", ">=1.2.0.dev0,<1.3", True), ("2.7.1.post1", "==2.7.1.*", True),
    ("2.6.0", "==2.1.0 || ==2.6.0", True), ("2.5.0", "==2.1.0 || ==2.6.0", False),
    ("not-a-version", ">=1", False), ("1.0", "=>nonsense", False),
])
def test_pep440_satisfies(version, spec, expected):
    assert satisfies(version, spec) is expected


def test_valid_spec():
    assert valid_spec("~=2.7.1") and valid_spec("2.7.1") and valid_spec("==2.1.0 || ==2.6.0")
    assert not valid_spec("=>2") and not valid_spec("== 2.1 ||| x")
