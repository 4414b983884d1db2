package benchlocal

import (
	"bufio"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/illm-k8s-ai-lab/illm-k8s-ai-lab/generator/internal/testsupport/golden"
)

// TestPostgresGoesWithItsOwner: the throwaway PostgreSQL that bench local
// starts is stopped and deleted when the generator dies, even by SIGKILL,
// which it cannot catch (the generator here is this test binary run again
// as a helper). A real PostgreSQL and scripts/postgres.sh.
func TestPostgresGoesWithItsOwner(t *testing.T) {
	if os.Getenv("LAB_TEST_PG_OWNER") == "1" {
		u, _, err := StartPostgres(os.Getenv("LAB_TEST_ROOT"))
		if err != nil {
			fmt.Println("error", strings.ReplaceAll(err.Error(), "\n", " "))
			os.Exit(1)
		}
		fmt.Println(u)
		time.Sleep(2 * time.Minute)
		os.Exit(0)
	}
	if testing.Short() {
		t.Skip("starts a real PostgreSQL")
	}
	if _, err := os.Stat("/usr/lib/postgresql/15/bin/initdb"); err != nil {
		if os.Getenv("LAB_REQUIRE_TOOLS") == "1" {
			t.Fatal("PostgreSQL 15 is not installed (scripts/postgres.sh install)")
		}
		t.Skip("PostgreSQL 15 is not installed (scripts/postgres.sh install)")
	}
	helper := exec.Command(os.Args[0], "-test.run=^TestPostgresGoesWithItsOwner$")
	helper.Env = append(os.Environ(), "LAB_TEST_PG_OWNER=1", "LAB_TEST_ROOT="+golden.RepoRoot(t))
	out, err := helper.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := helper.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "postgres://") {
		helper.Process.Kill()
		t.Fatalf("helper said %q (%v)", line, err)
	}
	u, err := url.Parse(strings.TrimSpace(line))
	if err != nil {
		t.Fatal(err)
	}
	dir := "/tmp/illm-lab-pg-" + u.Port()
	if c, err := net.DialTimeout("tcp", u.Host, time.Second); err != nil {
		t.Fatalf("PostgreSQL is not listening: %v", err)
	} else {
		c.Close()
	}
	helper.Process.Kill()
	_ = helper.Wait()
	deadline := time.Now().Add(20 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", u.Host, 200*time.Millisecond)
		_, statErr := os.Stat(dir)
		if err != nil && os.IsNotExist(statErr) {
			return
		}
		if c != nil {
			c.Close()
		}
		if time.Now().After(deadline) {
			exec.Command("bash", golden.RepoRoot(t)+"/scripts/postgres.sh", "stop").Run()
			t.Fatalf("PostgreSQL on %s (data %s) outlived its owner's SIGKILL", u.Host, dir)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
