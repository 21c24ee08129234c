package plaidini

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// seedFiles are the golden inputs plus edge cases the parser must handle.
func seedFiles(f *testing.F) [][]byte {
	seeds := [][]byte{
		[]byte(sampleINI),
		[]byte("\ufeff[A]\r\nk = v\r\n  cont\r\n"),
		[]byte("[A]\rk=v\r[B]\r"),
		[]byte("[P]\nk = 1\n[A]\n [B]\nx = 2\n"),
		[]byte("[A]\n  k = 1\n\n  # c\n   more\n[B] trailing ; text\n"),
		[]byte("[DEFAULT]\ndisabled = yes\n[A]\naccess_token=t"),
		[]byte("# only a comment"),
		[]byte(""),
		[]byte("[A]\nk = v\n\n# about B\n[B]\n"),
		[]byte("[DEFAULT]\nref = %(ref)s\nenv = x%%\n[A]\naccess_token = t%%\nitem_id = %(env)s %(REF)s\ndisabled = %(\n"),
		[]byte("[PLAID]\nsecret 0123456789abcdef\n[A]\naccess_token = access-sandbox-1 # old\n"),
	}
	files, err := filepath.Glob("testdata/edit/*.ini")
	if err != nil {
		f.Fatal(err)
	}
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		seeds = append(seeds, data)
	}
	return seeds
}

func FuzzParse(f *testing.F) {
	for _, s := range seedFiles(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := Parse("fuzz.ini", data)
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error is %T, not *ParseError: %v", err, err)
			}
			if pe.Line < 1 || pe.Line > bytes.Count(data, []byte("\n"))+bytes.Count(data, []byte("\r"))+1 {
				t.Fatalf("line %d out of range: %v", pe.Line, err)
			}
			return
		}
		if !bytes.Equal(file.Bytes(), data) {
			t.Fatal("Bytes differs from the input")
		}
		again, err := Parse("fuzz.ini", file.Bytes())
		if err != nil || !modelsEqual(file.model(), again.model()) {
			t.Fatalf("re-parse differs: %v", err)
		}
		_, _ = file.Settings()

		// Writing the content out again section by section reads back the same.
		rebuilt, err := Parse("rebuilt.ini", nil)
		if err != nil {
			t.Fatal(err)
		}
		var want []sectionModel
		for _, m := range file.model() {
			if ValidSectionName(m.name) != nil {
				continue
			}
			var keys [][2]string
			for _, kv := range m.keys {
				if validKeyValue(kv[0], kv[1]) == nil {
					keys = append(keys, kv)
				}
			}
			if err := rebuilt.AddSection(m.name, keys); err != nil {
				t.Fatalf("AddSection(%q): %v", m.name, err)
			}
			want = append(want, sectionModel{name: m.name, keys: keys})
		}
		back, err := Parse("rebuilt.ini", rebuilt.Bytes())
		if err != nil {
			t.Fatalf("rebuilt file does not parse: %v\n%q", err, rebuilt.Bytes())
		}
		if !modelsEqual(back.model(), want) {
			t.Fatalf("rebuilt file reads differently:\n%q", rebuilt.Bytes())
		}
	})
}

func FuzzEdit(f *testing.F) {
	for _, s := range seedFiles(f) {
		for op := range uint8(3) {
			f.Add(s, op, uint8(1), "access_token", "access-sandbox-x")
			f.Add(s, op, uint8(0), "Disabled", "yes")
		}
	}
	f.Fuzz(func(t *testing.T, data []byte, op, index uint8, name, value string) {
		file, err := Parse("fuzz.ini", data)
		if err != nil {
			return
		}
		before := file.model()
		switch op % 3 {
		case 0:
			err = file.AddSection(name, [][2]string{{"access_token", value}})
			if err != nil {
				break
			}
			if !bytes.HasPrefix(file.Bytes(), data) {
				t.Fatal("AddSection changed existing bytes")
			}
			want := append(slices.Clone(before), sectionModel{name: name, keys: [][2]string{{"access_token", value}}})
			requireModel(t, file, want)
			return
		case 1, 2:
			if len(file.sections) == 0 {
				return
			}
			s := file.sections[int(index)%len(file.sections)]
			head, tail := data[:s.start], data[s.end:]
			sectionName := s.name
			want := slices.Clone(before)
			if op%3 == 1 {
				err = file.SetKey(sectionName, name, value)
				i := slices.IndexFunc(want, func(m sectionModel) bool { return m.name == sectionName })
				keys := slices.Clone(want[i].keys)
				j := slices.IndexFunc(keys, func(kv [2]string) bool { return kv[0] == strings.ToLower(name) })
				if j >= 0 {
					keys[j][1] = value
				} else {
					keys = append(keys, [2]string{strings.ToLower(name), value})
				}
				want[i].keys = keys
			} else {
				err = file.RemoveSection(sectionName)
				want = slices.DeleteFunc(want, func(m sectionModel) bool { return m.name == sectionName })
			}
			if err != nil {
				break
			}
			out := file.Bytes()
			if !bytes.HasPrefix(out, head) || !bytes.HasSuffix(out, tail) || len(out) < len(head)+len(tail) {
				t.Fatalf("bytes outside [%s] changed:\nbefore %q\nafter  %q", sectionName, data, out)
			}
			requireModel(t, file, want)
			return
		}
		if !bytes.Equal(file.Bytes(), data) {
			t.Fatalf("failed edit (%v) changed the bytes", err)
		}
	})
}

func requireModel(t *testing.T, file *File, want []sectionModel) {
	t.Helper()
	back, err := Parse("edited.ini", file.Bytes())
	if err != nil {
		t.Fatalf("edited file does not parse: %v\n%q", err, file.Bytes())
	}
	if !modelsEqual(back.model(), want) {
		t.Fatalf("edited file reads as %v, want %v\n%q", back.model(), want, file.Bytes())
	}
}
