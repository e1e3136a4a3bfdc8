// Command appnetpol-status prints what GitOps tools make of Kubernetes objects: the kstatus result
// (sigs.k8s.io/cli-utils, which Flux, Config Sync and kpt use) and the result of an Argo CD health
// check script run in gopher-lua, the interpreter Argo CD runs its health checks in.
//
// It reads one JSON object per line on stdin and writes one JSON result per line on stdout:
//
//	{"kstatus":{"status":"Failed","message":"..."},"argocd":{"status":"Degraded","message":"..."}}
//
// The "argocd" part is present only when -lua names a health check script.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"os"

	lua "github.com/yuin/gopher-lua"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	k8sjson "k8s.io/apimachinery/pkg/util/json"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"
)

type verdict struct {
	Status  string `json:"status"`
	Message string `json:"message"`
}

type result struct {
	Kstatus verdict  `json:"kstatus"`
	ArgoCD  *verdict `json:"argocd,omitempty"`
}

func main() {
	luaFile := flag.String("lua", "", "Argo CD health check script (resource.customizations.health.<group>_<kind>)")
	flag.Parse()
	var script string
	if *luaFile != "" {
		text, err := os.ReadFile(*luaFile)
		if err != nil {
			fail("reading the health check script: %v", err)
		}
		script = string(text)
	}
	scanner := bufio.NewScanner(os.Stdin)
	scanner.Buffer(make([]byte, 1<<20), 64<<20)
	out := json.NewEncoder(os.Stdout)
	for scanner.Scan() {
		if len(scanner.Bytes()) == 0 {
			continue
		}
		// Integers as int64, as the API machinery (and so kstatus) expects them.
		var object map[string]interface{}
		if err := k8sjson.Unmarshal(scanner.Bytes(), &object); err != nil {
			fail("reading an object: %v", err)
		}
		computed, err := status.Compute(&unstructured.Unstructured{Object: object})
		if err != nil {
			fail("kstatus: %v", err)
		}
		res := result{Kstatus: verdict{Status: computed.Status.String(), Message: computed.Message}}
		if script != "" {
			health, err := argoHealth(script, object)
			if err != nil {
				fail("health check script: %v", err)
			}
			res.ArgoCD = health
		}
		if err := out.Encode(res); err != nil {
			fail("writing: %v", err)
		}
	}
	if err := scanner.Err(); err != nil {
		fail("reading stdin: %v", err)
	}
}

// argoHealth runs the script as Argo CD does: the object as the global `obj`, only the base, table,
// string and math libraries, and a returned table with `status` and `message`.
func argoHealth(script string, object map[string]interface{}) (*verdict, error) {
	l := lua.NewState(lua.Options{SkipOpenLibs: true})
	defer l.Close()
	for _, lib := range []struct {
		name string
		open lua.LGFunction
	}{{lua.BaseLibName, lua.OpenBase}, {lua.TabLibName, lua.OpenTable}, {lua.StringLibName, lua.OpenString}, {lua.MathLibName, lua.OpenMath}} {
		l.Push(l.NewFunction(lib.open))
		l.Push(lua.LString(lib.name))
		l.Call(1, 0)
	}
	l.SetGlobal("obj", toLua(l, object))
	if err := l.DoString(script); err != nil {
		return nil, err
	}
	table, ok := l.Get(-1).(*lua.LTable)
	if !ok {
		return nil, fmt.Errorf("the script returned %s, not a table", l.Get(-1).Type())
	}
	return &verdict{Status: lua.LVAsString(table.RawGetString("status")), Message: lua.LVAsString(table.RawGetString("message"))}, nil
}

// toLua turns decoded JSON into Lua values: objects become tables with string keys, arrays tables
// indexed from 1, numbers Lua numbers.
func toLua(l *lua.LState, value interface{}) lua.LValue {
	switch v := value.(type) {
	case map[string]interface{}:
		table := l.NewTable()
		for key, item := range v {
			table.RawSetString(key, toLua(l, item))
		}
		return table
	case []interface{}:
		table := l.NewTable()
		for i, item := range v {
			table.RawSetInt(i+1, toLua(l, item))
		}
		return table
	case string:
		return lua.LString(v)
	case int64:
		return lua.LNumber(v)
	case float64:
		return lua.LNumber(v)
	case bool:
		return lua.LBool(v)
	default:
		return lua.LNil
	}
}

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "appnetpol-status: "+format+"\n", args...)
	os.Exit(1)
}
