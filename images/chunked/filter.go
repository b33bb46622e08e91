package chunked

// filters are the reversible transforms a chunk may go through before it
// is compressed, by Index.Filter.
var filters = map[string]func(b []byte, encode bool){
	"":    func([]byte, bool) {},
	"x86": x86,
}

// KnownFilter tells whether name is a filter this package applies.
func KnownFilter(name string) bool {
	_, ok := filters[name]
	return ok
}

// x86 makes the targets of x86 CALL and JMP (E8/E9 rel32) absolute
// (encode) or relative again: a function called from many places is then
// the same four bytes each time, which compresses better (3 % on the ros
// root filesystem, docs/benchmarks.md). Only displacements of ±16 MiB
// (top byte 00 or FF) are converted, into the same 25-bit range, so the
// decoder tells converted ones by the same test; an opcode byte is always
// followed by four bytes that are never taken as opcodes, converted or not,
// so both directions visit the same positions. Positions count from the
// chunk's start: a chunk converts the same wherever it lies in the image.
func x86(b []byte, encode bool) {
	for i := 0; i+5 <= len(b); {
		if b[i] != 0xE8 && b[i] != 0xE9 {
			i++
			continue
		}
		if top := b[i+4]; top == 0 || top == 0xFF {
			v := uint32(b[i+1]) | uint32(b[i+2])<<8 | uint32(b[i+3])<<16 | uint32(b[i+4])<<24
			if pos := uint32(i + 5); encode {
				v += pos
			} else {
				v -= pos
			}
			v &= 1<<25 - 1
			if v&(1<<24) != 0 {
				v |= 0xFE000000 // sign-extended: top byte FF
			}
			b[i+1], b[i+2], b[i+3], b[i+4] = byte(v), byte(v>>8), byte(v>>16), byte(v>>24)
		}
		i += 5
	}
}
