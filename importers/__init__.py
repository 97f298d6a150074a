"""Readers that turn messy scan and questionnaire files into validated tables."""
