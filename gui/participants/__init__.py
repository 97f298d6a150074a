"""The participant register, its add/edit/withdraw dialogs and enrolment."""
