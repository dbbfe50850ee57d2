// Command lmhead demonstrates and times an LM output head on this machine.
//
// With no flags it prints the CPU and its kernel levels, builds the head of
// Llama-2-7B's shape (V = 32000, d = 4096, tied) from seeded weights, prints
// the 10 most likely next tokens of a seeded hidden state at τ = 1 and
// τ = 0.7, 16 tokens sampled with a fixed seed, and a timing table: the
// median per-token latency of each head operation, its weight-streaming rate
// in GB/s, that rate as a share of the read bandwidth measured in the same
// run, and the speed-up over the generic (pure-Go) kernels.
//
// Usage:
//
//	go run ./cmd/lmhead [flags]
//
// Flags:
//
//	-model PATH     a checkpoint instead of the seeded head: a .gguf file, a
//	                .safetensors file or a Hugging Face model folder
//	-hidden FILE    with -model: the hidden state, raw little-endian float32
//	                or a .npy file (default: the embedding row of -token for
//	                a tied head, a seeded vector otherwise)
//	-token ID       with -model: the token whose embedding row is the hidden
//	                state (default 0)
//	-vocab V        vocabulary size (default 32000)
//	-hidden d       hidden size (default 4096)
//	-isa name       kernel level: generic, avx2, avx512, neon (default: the best)
//	-workers n      goroutines per projection (default GOMAXPROCS)
//	-steps n        timed steps per operation; the table shows the median
//	-temperature τ  sampling temperature (0 is greedy)
//	-top-k k        sampling top-k (0 is off)
//	-top-p p        sampling nucleus mass in (0, 1] (1 is off)
//	-min-p p        sampling min-p in [0, 1) (0 is off)
//	-seed s         seed of the weights, the hidden state and the sampler
//	-mos K          a Mixture of Softmaxes head with K components
//	-format F       the unembedding's weight format: F32, F16, BF16, Q8_0,
//	                Q4_0, Q4_K or Q6_K (default F32); the seeded weights are
//	                quantized to it
//	-json           print everything as one JSON object
//
// A bad flag or value prints the reason and the usage and exits 2; so does a
// vocab × hidden head that would not fit in memory, before anything is
// allocated.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"

	"github.com/lmhead/lmhead"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

// options are the parsed flags.
type options struct {
	vocab, hidden, workers, steps, mos, topK int
	isa                                      lmhead.ISA
	isaSet                                   bool
	format                                   lmhead.Format
	model, hiddenFile                        string
	token                                    int
	temperature, topP, minP                  float64
	seed                                     uint64
	json                                     bool
}

// usageError is a bad flag or value: exit code 2 with the usage.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

func newFlagSet(o *options) (*flag.FlagSet, *string, *string) {
	fs := flag.NewFlagSet("lmhead", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&o.model, "model", "", "a checkpoint to run instead of the seeded head: a .gguf file, a .safetensors file or a Hugging Face model `path`")
	fs.IntVar(&o.token, "token", 0, "with -model and a tied head: the token `id` whose embedding row is the hidden state")
	fs.IntVar(&o.vocab, "vocab", 32000, "vocabulary size `V` (rows of the unembedding)")
	hidden := fs.String("hidden", "4096", "hidden size `d` of the seeded head; with -model, a file holding the hidden state (raw little-endian float32 or .npy)")
	isa := fs.String("isa", "", "kernel `level`: generic, avx2, avx512 or neon (default: the best this CPU supports, capped by LMHEAD_ISA)")
	fs.IntVar(&o.workers, "workers", 0, "goroutines per projection (`n`; 0 means GOMAXPROCS)")
	fs.IntVar(&o.steps, "steps", 20, "timed steps per operation (`n`); the table shows the median")
	fs.Float64Var(&o.temperature, "temperature", 0.7, "sampling temperature `τ` (0 is greedy)")
	fs.IntVar(&o.topK, "top-k", 0, "sampling top-k (`k`; 0 is off)")
	fs.Float64Var(&o.topP, "top-p", 0.9, "sampling nucleus mass `p` in (0, 1] (1 is off)")
	fs.Float64Var(&o.minP, "min-p", 0, "sampling min-p `ratio` in [0, 1) (0 is off)")
	fs.Uint64Var(&o.seed, "seed", 1, "`seed` of the weights, the hidden state and the sampler")
	fs.IntVar(&o.mos, "mos", 0, "build a Mixture of Softmaxes head with `K` components (0: a plain tied head)")
	fs.BoolVar(&o.json, "json", false, "print everything as one JSON object")
	fs.Func("format", "the unembedding's weight `format`: F32, F16, BF16, Q8_0, Q4_0, Q4_K or Q6_K (default F32)", func(v string) error {
		f, err := lmhead.ParseFormat(v)
		if err != nil {
			return errors.New(strings.TrimPrefix(err.Error(), "lmhead: "))
		}
		o.format = f
		return nil
	})
	return fs, isa, hidden
}

// parse reads and checks the flags. Every error is a usageError.
func parse(args []string) (*options, error) {
	o := &options{}
	fs, isa, hidden := newFlagSet(o)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, err
		}
		return nil, usageError{err.Error()}
	}
	if fs.NArg() > 0 {
		return nil, usagef("unexpected arguments %q", fs.Args())
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if o.model != "" {
		for _, name := range []string{"vocab", "mos", "format"} {
			if set[name] {
				return nil, usagef("-%s: the head comes from -model %s", name, o.model)
			}
		}
		if set["hidden"] {
			o.hiddenFile = *hidden
		}
	} else {
		if set["token"] {
			return nil, usagef("-token: only with -model")
		}
		d, err := strconv.Atoi(*hidden)
		if err != nil {
			return nil, usagef("-hidden %q: want the hidden size d (a file is read only with -model)", *hidden)
		}
		o.hidden = d
	}
	switch {
	case o.model == "" && o.vocab < 1:
		return nil, usagef("-vocab %d: want at least 1", o.vocab)
	case o.model == "" && o.hidden < 1:
		return nil, usagef("-hidden %d: want at least 1", o.hidden)
	case o.workers < 0:
		return nil, usagef("-workers %d: want ≥ 0 (0 means GOMAXPROCS)", o.workers)
	case o.steps < 1:
		return nil, usagef("-steps %d: want at least 1", o.steps)
	case o.mos < 0:
		return nil, usagef("-mos %d: want ≥ 0 (0 is a plain head)", o.mos)
	case o.topK < 0:
		return nil, usagef("-top-k %d: want ≥ 0 (0 is off)", o.topK)
	case !(o.temperature >= 0) || o.temperature > math.MaxFloat32:
		return nil, usagef("-temperature %v: want finite and ≥ 0 (0 is greedy)", o.temperature)
	case !(o.topP > 0 && o.topP <= 1):
		return nil, usagef("-top-p %v: want in (0, 1] (1 is off)", o.topP)
	case !(o.minP >= 0 && o.minP < 1):
		return nil, usagef("-min-p %v: want in [0, 1) (0 is off)", o.minP)
	case o.hidden%o.format.BlockSize() != 0:
		return nil, usagef("-hidden %d: a %v row holds a multiple of %d weights", o.hidden, o.format, o.format.BlockSize())
	}
	if *isa != "" {
		i, err := lmhead.ParseISA(*isa)
		if err != nil {
			return nil, usagef("-isa: %v", strings.TrimPrefix(err.Error(), "lmhead: "))
		}
		o.isa, o.isaSet = i, true
	}
	if o.model != "" {
		return o, nil
	}
	need, ok := memoryNeeded(o.vocab, o.hidden, o.mos)
	if !ok {
		return nil, usagef("-vocab %d × -hidden %d (-mos %d) needs more than 2⁶⁴ bytes", o.vocab, o.hidden, o.mos)
	}
	if err := fitsMemory(need, o); err != nil {
		return nil, err
	}
	return o, nil
}

// printUsage writes the flag defaults.
func printUsage(w io.Writer) {
	fs, _, _ := newFlagSet(&options{})
	fmt.Fprintf(w, "usage: lmhead [flags]\n\nBuilds a seeded LM head (default: Llama-2-7B's, V = 32000, d = 4096, tied),\nprints its top tokens and samples, and times it.\n\n")
	fs.SetOutput(w)
	fs.PrintDefaults()
}

// run is the command: flags in args, the report on stdout, progress and
// errors on stderr. It returns the exit code: 0, 1 if the run fails, 2 for
// bad usage.
func run(args []string, stdout, stderr io.Writer) int {
	o, err := parse(args)
	if errors.Is(err, flag.ErrHelp) {
		printUsage(stderr)
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "lmhead: %v\n\n", err)
		printUsage(stderr)
		return 2
	}
	if o.isaSet {
		prev := lmhead.Active()
		defer func() { _ = lmhead.Use(prev) }()
		if err := lmhead.Use(o.isa); err != nil {
			fmt.Fprintf(stderr, "lmhead: -isa %v: %v\n\n", o.isa, strings.TrimPrefix(err.Error(), "lmhead: "))
			printUsage(stderr)
			return 2
		}
	}
	rep, err := demo(o, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "lmhead: %v\n", err)
		return 1
	}
	if o.json {
		err = rep.writeJSON(stdout)
	} else {
		err = rep.writeText(stdout)
	}
	if err != nil {
		fmt.Fprintf(stderr, "lmhead: %v\n", err)
		return 1
	}
	return 0
}
