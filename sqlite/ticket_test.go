package sqlite

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"boxoffice"
)

// The kill test's show and guest: a show an hour after the test starts,
// whose door is open.
const (
	killShow  boxoffice.ShowID = "late"
	killToken                  = "kill-test-token"
	// childEnv names the database a child process admits the ticket in
	// (see TestMain).
	childEnv = "BOXOFFICE_TEST_ADMIT_CHILD"
)

func TestMain(m *testing.M) {
	if path := os.Getenv(childEnv); path != "" {
		os.Exit(admitChild(path))
	}
	os.Exit(m.Run())
}

// admitChild admits the kill test's ticket in the database at path, says
// so on stdout and waits to be killed.
func admitChild(path string) int {
	ctx := context.Background()
	s, err := Open(ctx, path, Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	t, first, err := s.Admit(ctx, boxoffice.TicketCodeFor(killShow, killToken).Hash(), time.Now())
	if err != nil || !first {
		fmt.Fprintln(os.Stderr, "admit:", first, err)
		return 1
	}
	fmt.Printf("admitted %d\n", t.AdmittedAt.UnixMilli())
	select {} // the parent kills the process
}

// An admission answered is durable: the process that made it is killed
// with SIGKILL right after, and the store reopened on the file still has
// the ticket admitted, at the time answered, and the guest's seats fixed.
func TestAdmissionSurvivesKill(t *testing.T) {
	path := filepath.Join(t.TempDir(), "boxoffice.db")
	guest := boxoffice.GuestFromToken(killToken)
	hash := boxoffice.TicketCodeFor(killShow, killToken).Hash()
	func() {
		s := openTest(t, path, Options{})
		defer s.Close()
		l, err := boxoffice.ParseLayout("A ssss\n")
		if err != nil {
			t.Fatal(err)
		}
		hall := boxoffice.Hall{ID: "h", Name: "Hall", Layout: l}
		show := boxoffice.Show{ID: killShow, Title: "Late", StartsAt: time.Now().Add(time.Hour).Truncate(time.Second), Hall: hall}
		if _, err := s.Seed(t.Context(), boxoffice.Programme{Halls: []boxoffice.Hall{hall}, Shows: []boxoffice.Show{show}}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Book(t.Context(), killShow, []boxoffice.SeatID{"A1", "A2"}, guest, hash, 0); err != nil {
			t.Fatal(err)
		}
	}()

	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+path)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("the child did not say it admitted the ticket: %v", err)
	}
	var ms int64
	if _, err := fmt.Sscanf(line, "admitted %d", &ms); err != nil {
		t.Fatalf("child said %q: %v", line, err)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err == nil {
		t.Fatal("the child exited by itself; want it killed")
	}

	s := openTest(t, path, Options{})
	tk, err := s.Ticket(t.Context(), hash)
	if err != nil || !tk.AdmittedAt.Equal(time.UnixMilli(ms)) || len(tk.Seats) != 2 {
		t.Fatalf("Ticket after the kill = admitted at %v, seats %v, %v; want admitted at %v with A1, A2",
			tk.AdmittedAt, tk.Seats, err, time.UnixMilli(ms))
	}
	if _, first, err := s.Admit(t.Context(), hash, time.Now()); err != nil || first {
		t.Errorf("Admit after the kill = first %v, %v; want already admitted", first, err)
	}
	if _, err := s.Release(t.Context(), killShow, []boxoffice.SeatID{"A1"}, guest); !errors.Is(err, boxoffice.ErrAdmitted) {
		t.Errorf("Release after the kill = %v, want ErrAdmitted", err)
	}
}
