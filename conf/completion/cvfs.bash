# bash completion for cvfs: commands, their options, and the names of the
# configured volumes (from `cvfs show --json`, honouring -c/--confdir on the
# line). Installed as share/bash-completion/completions/cvfs.

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
    local commands="show init open close config plugins reseal add-recovery-key generate-units"
    local globals="-c --confdir -v --verbose -h --help --version"
    COMPREPLY=()

    case $prev in
        -c | --confdir | generate-units)
            COMPREPLY=($(compgen -d -- "$cur"))
            return ;;
        --key-file | --recovery-key-file)
            COMPREPLY=($(compgen -f -- "$cur"))
            return ;;
    esac

    # The command: the first word that is neither an option nor its argument.
    local i command= sub=
    for ((i = 1; i < COMP_CWORD; i++)); do
        case ${COMP_WORDS[i]} in
            -c | --confdir) ((i++)) ;;
            -*) ;;
            *) if [ -z "$command" ]; then command=${COMP_WORDS[i]}; elif [ -z "$sub" ]; then sub=${COMP_WORDS[i]}; fi ;;
        esac
    done

    local options= volumes=1
    case $command in
        "")
            if [[ $cur == -* ]]; then
                COMPREPLY=($(compgen -W "$globals" -- "$cur"))
            else
                COMPREPLY=($(compgen -W "$commands" -- "$cur"))
            fi
            return ;;
        show) options="--json" ;;
        init) options="--force --yes" ;;
        open) options="--all --no-mount" ;;
        close) options="--all" ;;
        config)
            if [ -z "$sub" ]; then COMPREPLY=($(compgen -W "check" -- "$cur")); return; fi ;;
        plugins) options="--json" volumes= ;;
        reseal) options="--recovery-key-file" ;;
        add-recovery-key) options="--key-file" ;;
        *) return ;;
    esac
    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "$options" -- "$cur"))
    elif [ -n "$volumes" ]; then
        COMPREPLY=($(compgen -W "$(_cvfs_volumes)" -- "$cur"))
    fi
}
complete -F _cvfs cvfs
