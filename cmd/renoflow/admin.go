package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/renoflow/renoflow"
	"github.com/renoflow/renoflow/server"
	"golang.org/x/term"
)

// stdin is where `renoflow admin create` reads the password; tests replace it.
var stdin io.Reader = os.Stdin

// adminPasswordEnv names the variable `renoflow admin create` takes the password from
// (containers); it is read only by that command.
const adminPasswordEnv = "RENOFLOW_ADMIN_PASSWORD"

const adminUsage = `usage: renoflow admin create --login LOGIN --name NAME [--role admin] [--id ID] [--store STORE]

Creates a staff account (the first admin of an empty production database), after
applying the migrations. The password is taken from ` + adminPasswordEnv + ` when set,
else typed twice at a prompt (not echoed) when stdin is a terminal, else read from the
first line of stdin; it is never printed and never taken from the command line.
Needs DATABASE_URL.
`

// runAdmin runs `renoflow admin create …`.
func runAdmin(ctx context.Context, cfg config, args []string, getenv func(string) string, stdout io.Writer) error {
	if len(args) == 0 || args[0] != "create" {
		fmt.Fprint(stdout, adminUsage)
		return fmt.Errorf("%w: admin needs a subcommand (create)", errUsage)
	}
	fs := flag.NewFlagSet("admin create", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // an error names the flag, never a value
	login := fs.String("login", "", "login")
	name := fs.String("name", "", "name")
	role := fs.String("role", string(renoflow.RoleAdmin), "role")
	id := fs.String("id", "", "staff ID (default: the login)")
	store := fs.String("store", "", "store ID (roles that work in a store)")
	if err := fs.Parse(args[1:]); err != nil {
		fmt.Fprint(stdout, adminUsage)
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if fs.NArg() > 0 {
		fmt.Fprint(stdout, adminUsage)
		return fmt.Errorf("%w: unexpected arguments (the password is never taken from the command line)", errUsage)
	}
	if *login == "" || *name == "" {
		fmt.Fprint(stdout, adminUsage)
		return fmt.Errorf("%w: --login and --name are required", errUsage)
	}
	password, err := readPassword(getenv, stdout)
	if err != nil {
		return err
	}
	db, err := openDB(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := prepareDB(ctx, db); err != nil {
		return err
	}
	m, err := server.AddStaffAccount(ctx, db, slog.New(slog.NewTextHandler(io.Discard, nil)), server.CreateStaffInput{
		ID: *id, Login: *login, Name: *name, Role: renoflow.Role(*role), StoreID: *store, Password: password})
	if err != nil {
		var de *renoflow.Error
		if errors.As(err, &de) {
			return fmt.Errorf("account not created: %s", de.Error())
		}
		return err
	}
	fmt.Fprintf(stdout, "created %s %s (id %s, login %s)\n", m.Role.Label(), m.Name, m.ID, m.Login)
	return nil
}

// readPassword gets the new account's password: from the environment, a prompt without
// echo, or the first line of stdin.
func readPassword(getenv func(string) string, stdout io.Writer) (string, error) {
	if pw := getenv(adminPasswordEnv); pw != "" {
		return pw, nil
	}
	if f, ok := stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(stdout, "password: ")
		first, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(stdout)
		if err != nil {
			return "", fmt.Errorf("read password: %w", err)
		}
		fmt.Fprint(stdout, "again: ")
		second, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(stdout)
		if err != nil {
			return "", fmt.Errorf("read password: %w", err)
		}
		if string(first) != string(second) {
			return "", errors.New("the two passwords differ; nothing created")
		}
		return string(first), nil
	}
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && !(errors.Is(err, io.EOF) && line != "") {
		return "", fmt.Errorf("read the password from stdin (or set %s): %w", adminPasswordEnv, err)
	}
	return strings.TrimRight(line, "\r\n"), nil
}
