package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/lab/load"
)

func main() {
	s, err := load.Load(os.Args[1])
	if err != nil {
		panic(err)
	}
	var names []string
	for _, e := range s.Lab.Experiments() {
		names = append(names, fmt.Sprintf("%q", e.Name))
	}
	src := "package phases\n\nlab: conduct: hub: [" + strings.Join(names, ", ") + "]\n"
	_, err = load.LoadWith(os.Args[1], map[string][]byte{"phases/conduct.cue": []byte(src)})
	if err != nil {
		for _, l := range strings.Split(err.Error(), "\n") {
			if strings.Contains(l, "would get chart") {
				fmt.Println(l)
			}
		}
	}
}
