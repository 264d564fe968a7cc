# bash completion for cvfs: commands as `cvfs --help` lists them and their
# options as `cvfs COMMAND --help` does (so the completion follows the
# program it completes), global
# options, and the names of the configured volumes (the "volume" keys of
# `cvfs show --json`, docs/json.md: broken files and errors have none),
# honouring -c/--confdir on the line. Installed as
# share/bash-completion/completions/cvfs.

# The command names of the "Commands:" block of the help, one per line
# ("config check" for a command with a subcommand): the text before the
# column of descriptions (two spaces or more).
_cvfs_command_names() {
    "${COMP_WORDS[0]}" --help 2>/dev/null |
        awk '/^Commands:/ {on = 1; next} on && /^$/ {exit}
             on && /^  [a-z]/ {sub(/^  /, ""); sub(/  .*/, ""); print}'
}

# The synopsis of one command from its own help, without the program and
# global options: "open VOLUME...|--all [--no-mount]" -> "VOLUME...|--all [--no-mount]".
_cvfs_synopsis() {
    local words="$*"
    "${COMP_WORDS[0]}" "$@" --help 2>/dev/null |
        awk -v w="$words" 'NR == 1 && /^Usage:/ {i = index($0, " " w); if (i) print substr($0, i + length(w) + 2)}'
}

# The volume names of the configuration the command line names.
_cvfs_volumes() {
    local confdir=() i
    for ((i = 1; i < ${#COMP_WORDS[@]} - 1; i++)); do
        case ${COMP_WORDS[i]} in
            -c | --confdir) confdir=(-c "${COMP_WORDS[i + 1]}") ;;
            --confdir=*) confdir=(-c "${COMP_WORDS[i]#--confdir=}") ;;
        esac
    done
    "${COMP_WORDS[0]}" "${confdir[@]}" show --json 2>/dev/null |
        sed -n 's/^ *"volume" *: *"\([A-Za-z0-9_.-]*\)".*/\1/p'
}

_cvfs() {
    local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
    local globals="-c --confdir -v --verbose -h --help --version"
    COMPREPLY=()

    case $prev in
        -c | --confdir)
            COMPREPLY=($(compgen -d -- "$cur"))
            return ;;
        --*file)
            COMPREPLY=($(compgen -f -- "$cur"))
            return ;;
    esac

    # The command and its subcommand: the first words that are neither an
    # option nor the argument of -c.
    local i command= sub=
    for ((i = 1; i < COMP_CWORD; i++)); do
        case ${COMP_WORDS[i]} in
            -c | --confdir) ((i++)) ;;
            -*) ;;
            *) if [ -z "$command" ]; then command=${COMP_WORDS[i]}; elif [ -z "$sub" ]; then sub=${COMP_WORDS[i]}; fi ;;
        esac
    done

    local names
    names=$(_cvfs_command_names)
    if [ -z "$command" ]; then
        if [[ $cur == -* ]]; then
            COMPREPLY=($(compgen -W "$globals" -- "$cur"))
        else
            COMPREPLY=($(compgen -W "$(awk '{print $1}' <<<"$names" | sort -u)" -- "$cur"))
        fi
        return
    fi

    # A command with subcommands (config check, header backup) has one
    # name line per subcommand: complete the subcommand first.
    local subs line
    subs=$(awk -v c="$command" '$1 == c && NF > 1 {print $2}' <<<"$names")
    if [ -n "$subs" ] && [ -z "$sub" ]; then
        COMPREPLY=($(compgen -W "$subs" -- "$cur"))
        return
    fi
    if [ -n "$subs" ]; then
        line=$(_cvfs_synopsis "$command" "$sub")
    else
        grep -qx -- "$command" <<<"$names" || return
        line=$(_cvfs_synopsis "$command")
    fi
    [ -n "$line" ] || return
    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "$(grep -oE -- '--[a-z][a-z-]*' <<<"$line" | sort -u)" -- "$cur"))
    elif [[ $line == *VOLUME* ]]; then
        COMPREPLY=($(compgen -W "$(_cvfs_volumes)" -- "$cur"))
    elif [[ $line == *DIR* ]]; then
        COMPREPLY=($(compgen -d -- "$cur"))
    elif [[ $line == *FILE* ]]; then
        COMPREPLY=($(compgen -f -- "$cur"))
    fi
}
complete -F _cvfs cvfs
