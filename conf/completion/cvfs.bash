# bash completion for cvfs: commands and their options as `cvfs --help`
# lists them (so the completion follows the program it completes), global
# options, and the names of the configured volumes (from `cvfs show --json`,
# honouring -c/--confdir on the line). Installed as
# share/bash-completion/completions/cvfs.

# The "Commands:" block of the help: one line per command, e.g.
#   open VOLUME...|--all [--no-mount] unlock ..., mount
_cvfs_commands_help() {
    "${COMP_WORDS[0]}" --help 2>/dev/null |
        awk '/^Commands:/ {on = 1; next} on && /^$/ {exit} on && /^  [a-z]/ {sub(/^  /, ""); print}'
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

    local help
    help=$(_cvfs_commands_help)
    if [ -z "$command" ]; then
        if [[ $cur == -* ]]; then
            COMPREPLY=($(compgen -W "$globals" -- "$cur"))
        else
            COMPREPLY=($(compgen -W "$(awk '{print $1}' <<<"$help" | sort -u)" -- "$cur"))
        fi
        return
    fi

    # The command's help line; a command with subcommands (config check) has
    # one line per subcommand, its second word.
    local line subs
    subs=$(awk -v c="$command" '$1 == c && $2 ~ /^[a-z][a-z-]*$/ {print $2}' <<<"$help")
    if [ -n "$subs" ] && [ -z "$sub" ]; then
        COMPREPLY=($(compgen -W "$subs" -- "$cur"))
        return
    fi
    if [ -n "$subs" ]; then
        line=$(awk -v c="$command" -v s="$sub" '$1 == c && $2 == s' <<<"$help")
    else
        line=$(awk -v c="$command" '$1 == c' <<<"$help")
    fi
    [ -n "$line" ] || return
    # Only the synopsis part: up to the description (two spaces or more).
    line=$(sed 's/  .*//' <<<"$line")
    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "$(grep -oE -- '--[a-z][a-z-]*' <<<"$line" | sort -u)" -- "$cur"))
    elif [[ $line == *VOLUME* ]]; then
        COMPREPLY=($(compgen -W "$(_cvfs_volumes)" -- "$cur"))
    elif [[ $line == *DIR* ]]; then
        COMPREPLY=($(compgen -d -- "$cur"))
    fi
}
complete -F _cvfs cvfs
