#!/usr/bin/env bash
# Builds the one-folder bundle dist/trialdesk/ (executable dist/trialdesk/trialdesk)
# from this checkout with PyInstaller, then checks that it starts. Usage, from the
# repository root, after `pip install -e .` (README):   bash packaging/build.sh
set -euo pipefail
cd "$(dirname "$0")/.."
python -m pip install -q "pyinstaller>=6.10"
python -m PyInstaller --noconfirm --clean --log-level WARN \
    --distpath dist --workpath build/pyinstaller packaging/trialdesk.spec
cp packaging/trialdesk.desktop resources/trialdesk.png dist/trialdesk/
dist/trialdesk/trialdesk --version
