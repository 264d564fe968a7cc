#!/usr/bin/env zsh
# Drives real zsh completion for the zsh completion test: an interactive
# zsh -f on a pseudo-terminal (zsh/zpty) with compinit and conf/completion
# on its fpath types each line of LINES_FILE followed by TAB, and every match
# the completion functions add (compadd, as the completion system calls it)
# is recorded. Prints one line per input line: the sorted matches, separated
# by spaces.
#
# Usage: zsh_complete.zsh COMPLETION_DIR BIN_DIR OUT_DIR LINES_FILE
emulate -L zsh
setopt err_exit
zmodload zsh/zpty
local compdir=$1 bindir=$2 out=$3 lines_file=$4
local -a lines=("${(@f)$(<$lines_file)}")
local matches=$out/matches

# The shell under test: no user files, no listing or beeping, each compadd's
# matches appended to $matches (a compadd that only fills an array, -O/-A/-D,
# adds nothing and is left alone).
local setup="
PS1='> ' PROMPT2='' RPROMPT=''
unsetopt auto_list list_beep beep
path=(${(q)bindir} \$path)
fpath=(${(q)compdir} \$fpath)
autoload -Uz compinit && compinit -u -d ${(q)out}/zcompdump
compadd() {
  if (( \$@[(I)-[OAD]] )); then builtin compadd \"\$@\"; return; fi
  local -a __hits
  builtin compadd -O __hits \"\$@\"
  (( \$#__hits )) && print -rl -- \$__hits >>${(q)matches}
  builtin compadd \"\$@\"
}
bindkey '^I' complete-word
"
zpty -b cvfs_zsh zsh -f -i
zpty -w cvfs_zsh "$setup"
local line reply n=0
zpty -w cvfs_zsh "print D''ONE-setup"
zpty -r -m cvfs_zsh reply '*DONE-setup*'
for line in $lines; do
  (( ++n ))
  : >$matches
  # The line, TAB, then kill the line and mark the end.
  zpty -w -n cvfs_zsh "$line"$'\t'
  zpty -w -n cvfs_zsh $'\C-e\C-u'
  zpty -w cvfs_zsh "print D''ONE-$n"
  zpty -r -m cvfs_zsh reply "*DONE-$n*"
  print -r -- ${(j: :)${(ou)${(f)"$(<$matches)"}}}
done
zpty -d cvfs_zsh
