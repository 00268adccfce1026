// Command hello is what testbin's own test builds: small and quick.
package main

import "fmt"

func main() { fmt.Println("hello") }
