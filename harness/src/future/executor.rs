//! The executor of a [`Runtime`](super::Runtime) under the model backends: run queues under
//! a facade mutex and condvar, polled by facade threads, so every scheduling decision of the
//! runtime is a facade operation the backends explore, and the order of ready tasks a choice
//! (`task_order`).

use super::*;
use crate::rt::{Executor, ExecutorRef};

/// The executor of one runtime under the model backends.
pub(super) struct Shared {
    sched: SyncMutex<Sched>,
    /// One condvar per thread (the caller's first, then each worker's): with one waiter each,
    /// the facade knows exactly whom a notification wakes.
    ready: Vec<Condvar>,
    /// `multi_thread`: workers with queues of their own and an inject queue; otherwise the
    /// caller's one queue holds every ready task.
    multi: bool,
}

pub(super) struct Sched {
    /// Each runtime thread's run queue (the caller's first, then each worker's): the tasks
    /// spawned or woken on that thread. On `current_thread` the caller's holds every ready task.
    pub(super) local: Vec<VecDeque<usize>>,
    /// `multi_thread`: the tasks made ready off the workers (by the `block_on` caller, a
    /// blocking thread, any other thread), taken in FIFO order, as tokio's inject queue is.
    pub(super) inject: VecDeque<usize>,
    /// Which runtime threads are inside a task's poll: they take no other task until it ends.
    pub(super) polling: Vec<bool>,
    /// The facade thread of each runtime thread, once it runs: a wake goes to its own queue.
    threads: Vec<Option<usize>>,
    tasks: Vec<Slot>,
    /// (deadline in virtual nanoseconds, key, waker).
    timers: Vec<(u64, u64, Waker)>,
    next_key: u64,
    main_woken: bool,
    shutdown: bool,
    /// Which of the runtime's threads wait for work: only they need a notification.
    idle: Vec<bool>,
}

struct Slot {
    future: Option<BoxFuture>,
    state: TaskState,
    task: usize,
    /// Aborted while being polled: dropped once the poll returns pending.
    aborted: bool,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum TaskState {
    Idle,
    Queued,
    Running,
    /// Woken while being polled: queue it again once the poll returns.
    Notified,
    Done,
}

struct TaskWaker {
    shared: Arc<Shared>,
    /// `None`: the `block_on` future.
    slot: Option<usize>,
}

impl Wake for TaskWaker {
    fn wake(self: Arc<Self>) {
        self.shared.wake(self.slot);
    }
    fn wake_by_ref(self: &Arc<Self>) {
        self.shared.wake(self.slot);
    }
}

impl Sched {
    /// The task of a slot.
    pub(super) fn task_of(&self, slot: usize) -> usize {
        self.tasks[slot].task
    }

    /// The queue a task made ready by the calling thread goes to: on `multi_thread`, a
    /// worker's own, or the inject queue off the workers; on `current_thread`, the caller's.
    fn queue_for(&mut self, multi: bool) -> &mut VecDeque<usize> {
        if !multi {
            return &mut self.local[0];
        }
        let me = rt::me();
        match (1..self.threads.len()).find(|&w| self.threads[w] == Some(me)) {
            Some(w) => &mut self.local[w],
            None => &mut self.inject,
        }
    }
}

/// The runtime of the task thread `me` is polling.
pub(super) fn current_shared(exec: &Execution, me: usize) -> Option<ExecutorRef> {
    exec.polling(me).map(|(_, executor)| executor)
}

pub(super) fn now_nanos(exec: &Execution) -> u64 {
    exec.now().as_nanos().min(u128::from(u64::MAX)) as u64
}

impl Executor for Shared {
    fn spawn(&self, task: usize, future: BoxFuture) {
        self.push_task(task, future);
    }
    fn set_timer(&self, key: Option<u64>, deadline: u64, waker: &Waker) -> u64 {
        Shared::set_timer(self, key, deadline, waker)
    }
    fn cancel_timer(&self, key: u64) {
        Shared::cancel_timer(self, key);
    }
    fn abort(&self, task: usize) {
        Shared::abort(self, task);
    }
}

impl Shared {
    fn push_task(&self, task: usize, future: BoxFuture) {
        let mut g = self.sched.lock().unwrap();
        let slot = g.tasks.len();
        g.tasks.push(Slot {
            future: Some(future),
            state: TaskState::Queued,
            task,
            aborted: false,
        });
        g.queue_for(self.multi).push_back(slot);
        self.notify_idle(g);
    }

    /// Release the queue and wake the threads waiting for work, if any.
    fn notify_idle(&self, g: crate::sync::MutexGuard<'_, Sched>) {
        let idle: Vec<usize> = (0..g.idle.len()).filter(|&i| g.idle[i]).collect();
        drop(g);
        for i in idle {
            self.ready[i].notify_one();
        }
    }

    fn wake(&self, slot: Option<usize>) {
        // An execution that is over (or unwinding) schedules nothing more.
        if std::thread::panicking() || rt::current().is_none() {
            return;
        }
        let mut g = self.sched.lock().unwrap();
        if g.shutdown {
            return;
        }
        match slot {
            None => g.main_woken = true,
            Some(i) => match g.tasks[i].state {
                TaskState::Idle => {
                    g.tasks[i].state = TaskState::Queued;
                    g.queue_for(self.multi).push_back(i);
                }
                TaskState::Running => g.tasks[i].state = TaskState::Notified,
                _ => return,
            },
        }
        self.notify_idle(g);
    }

    /// Register (or refresh) a timer; its key.
    fn set_timer(&self, key: Option<u64>, deadline: u64, waker: &Waker) -> u64 {
        let mut g = self.sched.lock().unwrap();
        if let Some(k) = key {
            if let Some(t) = g.timers.iter_mut().find(|t| t.1 == k) {
                t.2.clone_from(waker);
                return k;
            }
        }
        let k = g.next_key;
        g.next_key += 1;
        g.timers.push((deadline, k, waker.clone()));
        // A worker waiting with no timeout must learn of the new deadline.
        self.notify_idle(g);
        k
    }

    fn cancel_timer(&self, key: u64) {
        if std::thread::panicking() || rt::current().is_none() {
            return;
        }
        self.sched.lock().unwrap().timers.retain(|t| t.1 != key);
    }

    /// Drop the task's future, now unless it is being polled (then `poll_task` drops it when
    /// the poll returns pending); a finished task is left alone.
    fn abort(&self, task: usize) {
        if std::thread::panicking() || rt::current().is_none() {
            return;
        }
        let mut g = self.sched.lock().unwrap();
        let Some(slot) = g.tasks.iter().position(|s| s.task == task) else {
            return;
        };
        let future = match g.tasks[slot].state {
            TaskState::Done => None,
            TaskState::Running | TaskState::Notified => {
                g.tasks[slot].aborted = true;
                None
            }
            TaskState::Idle | TaskState::Queued => {
                let Sched { local, inject, .. } = &mut *g;
                for q in local.iter_mut().chain(std::iter::once(inject)) {
                    q.retain(|&s| s != slot);
                }
                g.tasks[slot].state = TaskState::Done;
                g.tasks[slot].future.take()
            }
        };
        drop(g);
        if let Some(f) = future {
            rt::with(|exec| exec.task_done(task));
            drop(f);
        }
    }

    /// A worker's (or the caller's) loop: poll ready tasks, fire due timers, wait for work.
    /// The caller returns once it picks the woken `block_on` future; a worker at shutdown.
    fn run(self: &Arc<Self>, exec: &Arc<Execution>, me: usize, who: usize) {
        let caller = who == 0;
        let mut g = self.sched.lock().unwrap();
        g.threads[who] = Some(me);
        let mut first = if self.multi { 0 } else { g.local[0].len() };
        loop {
            if !caller && g.shutdown {
                return;
            }
            let next = if self.multi {
                if caller && g.main_woken {
                    g.main_woken = false;
                    return;
                }
                // The caller of a `multi_thread` runtime polls only the `block_on` future.
                (!caller)
                    .then(|| super::task_order::take(exec, me, who, &mut g))
                    .flatten()
            } else {
                let queued = g.local[0].len();
                let main = g.main_woken;
                if queued + usize::from(main) == 0 {
                    None
                } else {
                    // In the default order the tasks queued when the `block_on` future yielded
                    // run before it is polled again, as on tokio's current_thread runtime;
                    // tokio does not promise it (see `task_order`), so the future contends
                    // with them all the same.
                    let main_first = main && first == 0;
                    first = first.saturating_sub(1);
                    match super::task_order::next_ready(exec, me, &g, queued, main, main_first) {
                        None => {
                            g.main_woken = false;
                            return;
                        }
                        Some(at) => g.local[0].remove(at),
                    }
                }
            };
            if let Some(slot) = next {
                let future = g.tasks[slot].future.take().expect("a queued task's future");
                g.tasks[slot].state = TaskState::Running;
                g.polling[who] = true;
                let task = g.tasks[slot].task;
                drop(g);
                self.poll_task(exec, me, who, slot, task, future);
                g = self.sched.lock().unwrap();
                continue;
            }
            let now = now_nanos(exec);
            let mut due = Vec::new();
            g.timers.retain(|t| {
                if t.0 <= now {
                    due.push(t.2.clone());
                    false
                } else {
                    true
                }
            });
            if !due.is_empty() {
                drop(g);
                due.into_iter().for_each(Waker::wake);
                g = self.sched.lock().unwrap();
                continue;
            }
            g.idle[who] = true;
            let ready = &self.ready[who];
            g = match g.timers.iter().map(|t| t.0).min() {
                Some(d) => {
                    let left = std::time::Duration::from_nanos(d - now);
                    ready.wait_timeout(g, left).unwrap().0
                }
                None => ready.wait(g).unwrap(),
            };
            g.idle[who] = false;
        }
    }

    fn poll_task(
        self: &Arc<Self>,
        exec: &Arc<Execution>,
        me: usize,
        who: usize,
        slot: usize,
        task: usize,
        mut future: BoxFuture,
    ) {
        let waker = Waker::from(Arc::new(TaskWaker {
            shared: self.clone(),
            slot: Some(slot),
        }));
        let name = exec.task_name(task);
        exec.record(me, EventKind::Label(format!("poll task {name}").into()));
        exec.task_waits(task, None);
        exec.set_polling(me, Some((task, self.clone() as ExecutorRef)));
        let polled = panic::catch_unwind(AssertUnwindSafe(|| {
            future.as_mut().poll(&mut Context::from_waker(&waker))
        }));
        exec.set_polling(me, None);
        let poll = match polled {
            Ok(p) => p,
            Err(payload) => {
                rt::record_panic(exec, format!("task {name}"), &*payload);
                panic::resume_unwind(payload)
            }
        };
        // Where the poll ends, so a timeline can tell the task's steps from the runtime's.
        let ended = match poll {
            Poll::Ready(()) => format!("task {name} done"),
            Poll::Pending => format!("task {name} pending"),
        };
        exec.record(me, EventKind::Label(ended.into()));
        let mut g = self.sched.lock().unwrap();
        g.polling[who] = false;
        if poll.is_ready() || g.tasks[slot].aborted {
            // Finished, or aborted while polled: its future goes now.
            g.tasks[slot].state = TaskState::Done;
            drop(g);
            exec.task_done(task);
            drop(future);
        } else {
            g.tasks[slot].future = Some(future);
            if g.tasks[slot].state == TaskState::Notified {
                // Woken while polled: back on this thread's queue, as tokio reschedules it; an
                // idle worker may take it from there.
                g.tasks[slot].state = TaskState::Queued;
                g.local[who].push_back(slot);
                self.notify_idle(g);
            } else {
                g.tasks[slot].state = TaskState::Idle;
            }
        }
    }
}

pub(super) fn block_on_model<F: Future>(
    exec: &Arc<Execution>,
    flavor: Flavor,
    future: F,
) -> F::Output {
    let me = rt::me();
    let threads = match flavor {
        Flavor::CurrentThread => 1,
        Flavor::MultiThread(n) => n + 1,
    };
    let shared = Arc::new(Shared {
        sched: SyncMutex::named(
            "runtime.queue",
            Sched {
                local: vec![VecDeque::new(); threads],
                inject: VecDeque::new(),
                polling: vec![false; threads],
                threads: vec![None; threads],
                tasks: Vec::new(),
                timers: Vec::new(),
                next_key: 0,
                main_woken: false,
                shutdown: false,
                idle: vec![false; threads],
            },
        ),
        ready: (0..threads)
            .map(|i| match i {
                0 => Condvar::named("runtime.work"),
                i => Condvar::named(format!("runtime.work[worker-{}]", i - 1)),
            })
            .collect(),
        multi: flavor != Flavor::CurrentThread,
    });
    let workers: Vec<_> = match flavor {
        Flavor::CurrentThread => Vec::new(),
        Flavor::MultiThread(n) => (0..n)
            .map(|i| {
                let (shared, exec) = (shared.clone(), exec.clone());
                crate::thread::Builder::new()
                    .name(format!("worker-{i}"))
                    .spawn(move || shared.run(&exec, rt::me(), i + 1))
                    .expect("spawn a runtime worker")
            })
            .collect(),
    };
    let main = exec.register_task("main".to_string());
    let waker = Waker::from(Arc::new(TaskWaker {
        shared: shared.clone(),
        slot: None,
    }));
    let mut future = std::pin::pin!(future);
    let any: ExecutorRef = shared.clone();
    let output = loop {
        exec.task_waits(main, None);
        exec.set_polling(me, Some((main, any.clone())));
        let poll = future.as_mut().poll(&mut Context::from_waker(&waker));
        exec.set_polling(me, None);
        if let Poll::Ready(v) = poll {
            break v;
        }
        shared.run(exec, me, 0);
    };
    exec.task_done(main);
    let mut g = shared.sched.lock().unwrap();
    g.shutdown = true;
    shared.notify_idle(g);
    for w in workers {
        w.join().expect("a runtime worker panicked");
    }
    // Tasks still pending are dropped, outside the queue's lock (their drops may wake).
    let leftovers: Vec<Slot> = std::mem::take(&mut shared.sched.lock().unwrap().tasks);
    drop(leftovers);
    output
}
