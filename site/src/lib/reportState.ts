// The report state shared by every island of the CRM page (range picker, chips, Sources,
// map, trend widgets), mirrored into the URL: each change is a history entry, Back restores it.
import { createStore, useStore } from './store';
import { DEFAULT_STATE, parseReportState, serialiseReportState, type FilterKey, type ReportRange, type ReportState } from './reportUrl';

const inBrowser = typeof window !== 'undefined' && typeof location !== 'undefined';

export const reportStore = createStore<ReportState>(inBrowser ? parseReportState(location.search) : DEFAULT_STATE);

if (inBrowser) window.addEventListener('popstate', () => reportStore.set(parseReportState(location.search)));

function commit(next: ReportState): void {
  reportStore.set(next);
  if (!inBrowser) return;
  const search = serialiseReportState(next, location.search);
  if (search !== location.search) history.pushState(history.state, '', `${location.pathname}${search}${location.hash}`);
}

export const setRange = (range: ReportRange) => commit({ ...reportStore.get(), range });
export const setFilter = (key: FilterKey, value: string) => commit({ ...reportStore.get(), filter: { ...reportStore.get().filter, [key]: value } });
export function removeFilter(key: FilterKey): void {
  const { [key]: _gone, ...filter } = reportStore.get().filter;
  commit({ ...reportStore.get(), filter });
}
export const clearFilters = () => commit({ ...reportStore.get(), filter: {} });

export const useReportState = (): ReportState => useStore(reportStore);
