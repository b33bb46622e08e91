package services

// Order sorts the services into levels: each service comes one level after
// the last of its dependencies, so the services of a level may start
// together once the levels before them are up. Levels are sorted by name.
// It fails on an unknown dependency or a cycle.
func Order(f File) ([][]string, error) {
	if err := checkGraph(f); err != nil {
		return nil, err
	}
	level := map[string]int{}
	var levelOf func(string) int
	levelOf = func(n string) int {
		if l, ok := level[n]; ok {
			return l
		}
		l := 0
		for _, d := range f[n].DependsOn {
			l = max(l, levelOf(d)+1)
		}
		level[n] = l
		return l
	}
	var levels [][]string
	for _, n := range f.Names() {
		l := levelOf(n)
		for len(levels) <= l {
			levels = append(levels, nil)
		}
		levels[l] = append(levels[l], n)
	}
	return levels, nil
}
