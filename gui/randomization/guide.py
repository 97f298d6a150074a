"""What the Randomization tab says in plain words: the study's stage, each role's part in
the allocation, and why a task's button cannot be used yet.

Kept apart from the tab so its wording reads as one text; no condition, dose or sequence
is ever named here, so every role may read all of it.
"""

from __future__ import annotations

from trialcore.roles import roles_with

STAGE_WORDS = {
    "setup": "The study is being set up: there is no allocation list yet, so nobody can "
             "be enrolled or dosed.",
    "running": "The study is running: participants are enrolled from the sealed allocation "
               "list and dosed with the kits it names.",
    "locked": "The study is locked: its data are final, and the allocation stays sealed "
              "until the statistician unblinds it.",
    "unblinded": "The study is unblinded: the allocation is open for the analysis.",
}

# A role's part in the allocation, step by step, including what it does on other tabs:
# the tab of a role with one button would otherwise be a button on an empty page.
ROLE_STEPS = {
    "randomizer": (
        "Generate the allocation list once, before the first enrolment; it is sealed "
        "under your passphrase.",
        "Read its balance report below (your passphrase opens it).",
        "After the lock, the statistician unblinds the study with your passphrase.",
    ),
    "pharmacist": (
        "Once the randomizer has made the list, open the Dispensing list… with the "
        "dispensing passphrase agreed with the randomizer.",
        "Prepare one kit for each kit code, labelled with its code only.",
        "Hand the kits to the site: the coordinator or investigator checks each kit's code "
        "before dosing. What a kit holds is shown on no other screen.",
    ),
    "coordinator": (
        "Register participants (Participants tab); their baseline scan gives their stratum.",
        "Once the list exists, enrol each one here (Enrol participant…): the next slot of "
        "their stratum and a kit code per dosing visit.",
        "Before each dose, check the kit's code under Check a kit code (or as you log the "
        "visit on the Visits tab).",
    ),
    "investigator": (
        "Before each dose, check the kit's code under Check a kit code.",
        "In a medical emergency only, open one participant's envelope (Emergency "
        "envelope…): their conditions for you alone, recorded with your reason.",
        "When the data are complete, sign the lock on the Lock tab.",
    ),
}


def role_steps(role: str) -> str:
    """The role's numbered steps as one text ("" for a role with no part in it)."""
    return "\n".join(f"{i}. {step}" for i, step in enumerate(ROLE_STEPS.get(role, ()), 1))


def no_list_yet() -> str:
    who = " or ".join(roles_with("allocation.generate"))
    return (f"There is no allocation list yet: the {who} generates it first (Generate "
            "allocation list…).")


def list_in_use(enrolled: int) -> str:
    people = "1 participant is" if enrolled == 1 else f"{enrolled} participants are"
    return (f"{people} enrolled: the allocation list is in use and can never be replaced "
            "or extended.")
