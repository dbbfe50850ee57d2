package head

import (
	"runtime"
	"sync"
)

// task is one parallel operation, split into parts that run concurrently.
// Implementations live in the per-call scratch, so handing a task to a
// worker copies a pointer and allocates nothing.
type task interface {
	run(part int)
}

// job is one part of a task on its way to a worker.
type job struct {
	t    task
	part int
	wg   *sync.WaitGroup
}

// workerPool is the set of goroutines one Head shares its projections
// with. They start on the first parallel call (a Head that never needs
// them never has them) and exit when the Head is garbage collected: the
// goroutines hold only the channel, never the Head, and a cleanup attached
// to the Head closes it.
//
// A fresh goroutine per part would allocate its closure on every call; a
// standing pool keeps the hot paths free of allocation.
type workerPool struct {
	n    int // helpers besides the calling goroutine
	once sync.Once
	jobs chan job
}

func newWorkerPool(helpers int) *workerPool {
	return &workerPool{n: helpers}
}

func (p *workerPool) start() {
	p.jobs = make(chan job, 4*p.n)
	for i := 0; i < p.n; i++ {
		go work(p.jobs)
	}
}

// work runs jobs until the channel is closed.
func work(jobs <-chan job) {
	for j := range jobs {
		j.t.run(j.part)
		j.wg.Done()
	}
}

// stop ends the pool's goroutines. It is the Head's cleanup.
func stopPool(p *workerPool) {
	if p.jobs != nil {
		close(p.jobs)
	}
}

// runParts runs t.run(0) … t.run(parts-1), part 0 on the calling
// goroutine and the others on the pool, and returns when all are done.
func (p *workerPool) runParts(t task, parts int, wg *sync.WaitGroup) {
	if parts <= 1 || p == nil || p.n == 0 {
		for i := 0; i < parts; i++ {
			t.run(i)
		}
		return
	}
	p.once.Do(p.start)
	wg.Add(parts - 1)
	for i := 1; i < parts; i++ {
		p.jobs <- job{t: t, part: i, wg: wg}
	}
	t.run(0)
	wg.Wait()
}

// minPartWork is the least number of multiply-adds (elements of W) that
// one part of a parallel projection gets: about 30 µs of streaming, so
// the hand-off to another goroutine (a few µs when it sleeps) is small
// against it.
const minPartWork = 1 << 17

// partsFor returns how many parts a projection of rows×cols gets: at most
// workers, and few enough that every part has minPartWork.
func partsFor(workers, rows, cols int) int {
	n := rows * cols / minPartWork
	if n > workers {
		n = workers
	}
	if n > rows/16 {
		n = rows / 16
	}
	if n < 1 {
		n = 1
	}
	return n
}

// span returns part p of n of [0, rows), with boundaries on multiples of
// 16 rows so that every part but the last runs whole 4-row Gemv passes and
// starts on a cache line of the output.
func span(p, n, rows int) (lo, hi int) {
	blocks := (rows + 15) / 16
	lo = p * blocks / n * 16
	hi = (p + 1) * blocks / n * 16
	if lo > rows {
		lo = rows
	}
	if hi > rows {
		hi = rows
	}
	return lo, hi
}

// defaultWorkers is the worker count for Config.Workers == 0.
func defaultWorkers() int { return runtime.GOMAXPROCS(0) }
