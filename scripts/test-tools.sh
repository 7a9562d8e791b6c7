#!/usr/bin/env bash
# Sourced by scripts/test.sh: the outside checkers some Swift tests hand real exports to.
#   AGORA_PYTHON    a Python with the frab schema checkers (jsonschema, lxml), pinned in
#                   scripts/test-tools-requirements.txt, in a virtual environment under .build/
#   AGORA_CHROMIUM  headless Chromium (Debian's), which renders the agenda page
# Both are installed when missing, so a fresh machine runs the same tests.

tools_venv=.build/test-tools-venv
tools_requirements=scripts/test-tools-requirements.txt
if ! cmp -s "$tools_requirements" "$tools_venv/requirements.txt" 2>/dev/null; then
  echo "test-tools: installing the frab schema checkers into $tools_venv"
  rm -rf "$tools_venv"
  python3 -m venv "$tools_venv"
  "$tools_venv/bin/pip" install --quiet --disable-pip-version-check -r "$tools_requirements"
  cp "$tools_requirements" "$tools_venv/requirements.txt"
fi
export AGORA_PYTHON="$PWD/$tools_venv/bin/python"

if ! command -v chromium >/dev/null; then
  tools_sudo=(); ((EUID == 0)) || tools_sudo=(sudo)
  echo "test-tools: installing chromium"
  "${tools_sudo[@]}" apt-get update -qq
  # fonts-dejavu-core: the faces the pages name, so rendering does not depend on what else is installed.
  "${tools_sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
fi
AGORA_CHROMIUM="$(command -v chromium)"
export AGORA_CHROMIUM
