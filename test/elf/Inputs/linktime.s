# A hand-written stand-in for a `pyox-inject object` file: a PYOX payload
# note whose descriptor reaches the payload through a PC-relative offset,
# and the payload in a read-only section. @PAYLOAD@ is replaced by the test.
        .section .note.pyox,"a",@note
        .balign 4
        .long 5                 # n_namesz: "PYOX\0"
        .long 24                # n_descsz: 20 + name
        .long 1                 # n_type: PYOX_NOTE_PAYLOAD
        .asciz "PYOX"
        .balign 4
1:      .quad pyox_payload - 1b # payload_offset, relative to this field
        .quad 4096              # payload_size: room reserved
        .long 4                 # name_size
        .ascii "pyox"

        .section .rodata.pyox,"a",@progbits
        .balign 16
pyox_payload:
        .incbin "@PAYLOAD@"
        .balign 4096, 0
